package dev.lifeboat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.PostgresServer;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

/**
 * Faults injected while Lifeboat works, on Lifeboat as a user runs it (the shared e2e stack with a three-member etcd
 * cluster {@code faults} run by etcd-agents, about 20 MB of data, half of it incompressible; Kafka, S3Proxy, PostgreSQL,
 * the four services as built): each service and the agent killed with
 * SIGKILL at a random point of a backup or a REPLACE restore, snapshot-service killed while it captures deltas under
 * writes, the etcd leader killed during a backup, S3 stopped, PostgreSQL unreachable, the Kafka broker stopped. After each run
 * the suite checks what must hold whatever happened:
 * <ul>
 * <li>every backup request ends — COMPLETED, COALESCED into a snapshot that answers it, or FAILED with a reason;</li>
 * <li>every COMPLETED snapshot has its object in the bucket, whole (the catalog's stored size), and no request has two;</li>
 * <li>delta capture: every write is captured (the chain reaches it, or a new chain's base holds it after a reported
 * gap), and each chain's deltas follow each other revision by revision (no hole, no overlap);</li>
 * <li>no object in the cluster's {@code full/} and {@code delta/} folders lacks a COMPLETED catalog entry (an object
 * a person could take for a backup); the newest completed full snapshot is never deleted;</li>
 * <li>a REPLACE ends COMPLETED with every member, read alone, serving the snapshot's keyspace, or FAILED with every
 * member serving its pre-restore keyspace (rolled back, or never changed); the cluster is not left paused;</li>
 * <li>no process leaked: one etcd on each member's data dir, one process per service and agent.</li>
 * </ul>
 * It prints a table (fault × runs × outcomes × violations) and writes it to {@code target/fault-injection.md}.
 * {@code make test} runs each fault once ({@code lifeboat.faults.runs=1}); {@code make test-faults} runs it five times
 * with the full outage durations (S3 60 s, PostgreSQL 30 s, Kafka 30 s). The random points come from {@code lifeboat.faults.seed} (printed) to replay a run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(RunningLifeboat.Shared.class)
class FaultInjectionIT {

    private static final String CLUSTER = "faults";
    private static final int RUNS = Integer.getInteger("lifeboat.faults.runs", 1);
    private static final long SEED = Long.getLong("lifeboat.faults.seed", System.currentTimeMillis());
    private static final Duration S3_OUTAGE = Duration.ofSeconds(Long.getLong("lifeboat.faults.s3-outage-seconds", 60));
    private static final Duration PG_OUTAGE = Duration.ofSeconds(Long.getLong("lifeboat.faults.pg-outage-seconds", 30));
    private static final Duration KAFKA_OUTAGE = Duration.ofSeconds(Long.getLong("lifeboat.faults.kafka-outage-seconds", 30));
    private static final Duration WAIT = Duration.ofSeconds(240);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Random RANDOM = new Random(SEED);
    private static final Map<String, Tally> TABLE = new LinkedHashMap<>();

    private static RunningLifeboat lifeboat;
    private static EtcdAgents agents;
    private static List<EtcdCluster.Member> members;

    /** One fault's runs: outcomes by name, and what broke an invariant. */
    private static final class Tally {
        int runs;
        final Map<String, Integer> outcomes = new TreeMap<>();
        final List<String> violations = new ArrayList<>();
    }

    @BeforeAll
    static void start() throws Exception {
        lifeboat = RunningLifeboat.get();
        LocalStack stack = lifeboat.stack;
        System.out.println("fault injection: seed " + SEED + ", " + RUNS + " run(s) per fault");
        members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            members.add(new EtcdCluster.Member(CLUSTER + "-" + i, Ports.free(), Ports.free(), stack.options().runDir().resolve("agents").resolve(CLUSTER + "-" + i)));
        }
        agents = EtcdAgents.start(RunningLifeboat.REPO, CLUSTER, EtcdCluster.planned(members), stack, lifeboat.url("snapshot-service"),
                i -> Ports.free(), m -> Map.of());
        String body = "{\"id\": \"" + CLUSTER + "\", \"endpoints\": [" + members.stream().map(m -> "\"" + m.clientUrl() + "\"")
                .collect(Collectors.joining(", ")) + "], \"members\": [" + members.stream().map(m -> "{\"name\": \"" + m.name() + "\", \"peerUrl\": \""
                        + m.peerUrl() + "\", \"clientUrl\": \"" + m.clientUrl() + "\"}").collect(Collectors.joining(", ")) + "]}";
        assertEquals(201, call("POST", "scheduler-service", "/api/v1/clusters", body).statusCode());
        Map<String, String> data = new LinkedHashMap<>();
        Random values = new Random(7);
        byte[] noise = new byte[6000];
        for (int i = 0; i < 2000; i++) {
            values.nextBytes(noise);
            // Half the values compress very well, half not at all: about 20 MB, so a backup and a REPLACE take a while.
            data.put("/registry/faults/" + i, i % 2 == 0 ? "x".repeat(8000) : Base64.getEncoder().encodeToString(noise));
        }
        put(data);
        // The first backup also proves that snapshot-service knows the cluster.
        String first = backUp();
        assertEquals("COMPLETED", awaitRequest(first).path("phase").asText());
    }

    @AfterAll
    static void report() throws IOException {
        StringBuilder table = new StringBuilder("| fault | runs | outcomes | invariant violations |\n|---|---|---|---|\n");
        TABLE.forEach((fault, tally) -> table.append("| ").append(fault).append(" | ").append(tally.runs).append(" | ")
                .append(tally.outcomes.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "))).append(" | ")
                .append(tally.violations.isEmpty() ? "0" : tally.violations.size() + ": " + String.join("; ", tally.violations)).append(" |\n"));
        System.out.println("fault injection (seed " + SEED + "):\n" + table);
        Files.writeString(Path.of("target", "fault-injection.md"), "Seed " + SEED + ", " + RUNS + " run(s) per fault.\n\n" + table);
        if (agents != null) {
            agents.close();
        }
    }

    @Test
    @Order(1)
    void snapshotServiceKilledDuringABackup() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("kill -9 snapshot-service during a backup", requestId -> {
                awaitRunning(requestId);
                pause(0, 800);
                lifeboat.kill("snapshot-service");
                lifeboat.restart("snapshot-service");
            });
        }
    }

    @Test
    @Order(2)
    void schedulerKilledAsABackupIsRequested() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("kill -9 scheduler-service during a backup", requestId -> {
                pause(0, 800);
                lifeboat.kill("scheduler-service");
                lifeboat.restart("scheduler-service");
            });
        }
    }

    @Test
    @Order(3)
    void retentionKilledAsABackupCompletes() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("kill -9 retention-service during a backup", requestId -> {
                awaitRunning(requestId);
                pause(0, 1500);
                lifeboat.kill("retention-service");
                lifeboat.restart("retention-service");
            });
        }
    }

    @Test
    @Order(4)
    void restoreServiceKilledDuringAReplace() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            replaceWithFault("kill -9 restore-service during a REPLACE", restoreId -> {
                pause(0, 4000);
                lifeboat.kill("restore-service");
                lifeboat.restart("restore-service");
            });
        }
    }

    @Test
    @Order(5)
    void agentKilledDuringAReplace() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            replaceWithFault("kill -9 etcd-agent during a REPLACE (3 members)", restoreId -> {
                pause(0, 4000);
                int index = RANDOM.nextInt(members.size());
                agents.kill(index);
                agents.restart(index);
            });
        }
    }

    @Test
    @Order(6)
    void s3StoppedDuringABackup() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("S3 stopped " + S3_OUTAGE.toSeconds() + " s during a backup", requestId -> {
                pause(0, 500);
                lifeboat.stack.s3().stop();
                try {
                    Thread.sleep(S3_OUTAGE.toMillis());
                } finally {
                    lifeboat.stack.s3().start();
                }
            });
        }
    }

    @Test
    @Order(7)
    void postgresUnreachableDuringABackup() throws Exception {
        PostgresServer postgres = lifeboat.stack.postgres();
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("PostgreSQL unreachable " + PG_OUTAGE.toSeconds() + " s during a backup", requestId -> {
                pause(0, 500);
                PostgresServer.setReachable(postgres.jdbcUrl(), postgres.user(), postgres.password(), false);
                try {
                    Thread.sleep(PG_OUTAGE.toMillis());
                } finally {
                    PostgresServer.setReachable(postgres.jdbcUrl(), postgres.user(), postgres.password(), true);
                }
            });
        }
    }

    @Test
    @Order(8)
    void kafkaStoppedDuringABackup() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("Kafka stopped " + KAFKA_OUTAGE.toSeconds() + " s during a backup", requestId -> {
                pause(0, 500);
                lifeboat.stack.kafka().stop();
                try {
                    Thread.sleep(KAFKA_OUTAGE.toMillis());
                } finally {
                    lifeboat.stack.kafka().restart();
                }
            });
        }
    }

    @Test
    @Order(9)
    void etcdLeaderKilledDuringABackup() throws Exception {
        for (int run = 0; run < RUNS; run++) {
            backupWithFault("kill -9 of the etcd leader during a backup (3 members)", requestId -> {
                awaitRunning(requestId);
                pause(0, 500);
                EtcdCluster.Member leader = leader();
                ProcessHandle.allProcesses().filter(process -> isEtcdOf(process.info().commandLine().orElse(""), leader))
                        .forEach(ProcessHandle::destroyForcibly);
                // Its etcd-agent starts it again; the backup is taken from a member that serves.
            });
        }
    }

    /**
     * kill -9 of snapshot-service while it captures deltas and the cluster takes writes: the restarted service resumes the
     * chain from its last stored revision, or reports a gap and starts a new chain — never a hole inside a chain, never a
     * delta twice, and every write ends up captured.
     */
    @Test
    @Order(10)
    void snapshotServiceKilledDuringDeltaCapture() throws Exception {
        String name = "kill -9 snapshot-service during delta capture";
        HttpResponse<String> policy = call("POST", "scheduler-service", "/api/v1/clusters/" + CLUSTER + "/policies",
                "{\"id\": \"fault-deltas\", \"kind\": \"DELTA\", \"schedule\": \"@every 1s\"}");
        assertTrue(policy.statusCode() / 100 == 2, policy.body());
        try {
            for (int run = 0; run < RUNS; run++) {
                Tally tally = TABLE.computeIfAbsent(name, key -> new Tally());
                tally.runs++;
                JsonNode before = awaitCapture(chain -> chain.path("state").asText().equals("ACTIVE"));
                if (before == null) {
                    tally.violations.add("no chain became ACTIVE within " + WAIT.toSeconds() + " s");
                    tally.outcomes.merge("capture never started", 1, Integer::sum);
                    continue;
                }
                int round = run;
                java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
                java.util.concurrent.CompletableFuture<Long> writer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    long revision = 0;
                    try (Client etcd = Client.builder().endpoints(members.stream().map(EtcdCluster.Member::clientUrl).toArray(String[]::new)).build()) {
                        for (int i = 0; writing.get() && i < 2000; i++) {
                            revision = etcd.getKVClient().put(bytes("/registry/deltas/" + round + "/" + (i % 50)), bytes("change " + i))
                                    .get(30, TimeUnit.SECONDS).getHeader().getRevision();
                            Thread.sleep(20);
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("writes to the cluster failed: " + e.getMessage(), e);
                    }
                    return revision;
                });
                pause(1000, 4000);
                lifeboat.kill("snapshot-service");
                lifeboat.restart("snapshot-service");
                pause(1000, 2000);
                writing.set(false);
                long written = writer.get(60, TimeUnit.SECONDS);
                // Captured: the chain's deltas reach the last write, or a new chain's base full snapshot holds it.
                JsonNode after = awaitCapture(chain -> Math.max(chain.path("lastRevision").asLong(0), chain.path("baseRevision").asLong(0)) >= written
                        && !chain.path("state").asText().equals("ENDED"));
                if (after == null) {
                    tally.violations.add("the writes up to revision " + written + " were not captured within " + WAIT.toSeconds() + " s");
                    tally.outcomes.merge("not captured", 1, Integer::sum);
                } else {
                    tally.outcomes.merge(after.path("id").asText().equals(before.path("id").asText()) ? "chain resumed" : "gap reported, new chain",
                            1, Integer::sum);
                }
                tally.violations.addAll(chainHoles());
                tally.violations.addAll(invariants());
            }
        } finally {
            call("DELETE", "scheduler-service", "/api/v1/clusters/" + CLUSTER + "/policies/fault-deltas", null);
        }
    }

    /** The newest chain of the cluster's delta capture once it matches, or null after the wait. */
    private static JsonNode awaitCapture(java.util.function.Predicate<JsonNode> wanted) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<String> answer = call("GET", "snapshot-service", "/api/v1/clusters/" + CLUSTER + "/delta-capture", null);
                if (answer.statusCode() == 200) {
                    for (JsonNode chain : JSON.readTree(answer.body()).path("chains")) {
                        if (wanted.test(chain)) {
                            return chain;
                        }
                    }
                }
            } catch (IOException restarting) {
                // snapshot-service is starting again
            }
            Thread.sleep(500);
        }
        return null;
    }

    /** Every chain's COMPLETED deltas follow each other revision by revision: no hole, no overlap. */
    private static List<String> chainHoles() throws Exception {
        List<String> holes = new ArrayList<>();
        Map<String, List<JsonNode>> chains = new TreeMap<>();
        for (JsonNode snapshot : snapshots()) {
            if (snapshot.path("kind").asText().equals("DELTA") && snapshot.path("phase").asText().equals("COMPLETED")) {
                chains.computeIfAbsent(snapshot.path("chainId").asText(), key -> new ArrayList<>()).add(snapshot);
            }
        }
        chains.forEach((chain, deltas) -> {
            deltas.sort(java.util.Comparator.comparingLong(delta -> delta.path("firstRevision").asLong()));
            for (int i = 1; i < deltas.size(); i++) {
                long previous = deltas.get(i - 1).path("revision").asLong();
                long first = deltas.get(i).path("firstRevision").asLong();
                if (first != previous + 1) {
                    holes.add("chain " + chain + ": delta " + deltas.get(i).path("id").asText() + " starts at revision " + first + " after a delta that ends at "
                            + previous + (first <= previous ? " (overlap)" : " (hole)"));
                }
            }
        });
        return holes;
    }

    /** The suite's verdict: no run broke an invariant. */
    @Test
    @Order(100)
    void noFaultBrokeAnInvariant() {
        List<String> broken = TABLE.entrySet().stream().flatMap(e -> e.getValue().violations.stream().map(v -> e.getKey() + ": " + v)).toList();
        assertTrue(broken.isEmpty(), String.join("\n", broken));
        assertEquals(10, TABLE.size(), "every fault ran: " + TABLE.keySet());
    }

    /** A fault injected into the work of the given backup request or restore. */
    private interface Fault {
        void inject(String workId) throws Exception;
    }

    /**
     * A backup with a fault injected while it runs; then the request must end, a second backup must complete (the
     * system recovered), and the invariants hold.
     */
    private static void backupWithFault(String name, Fault fault) throws Exception {
        Tally tally = TABLE.computeIfAbsent(name, key -> new Tally());
        tally.runs++;
        String requestId = backUp();
        fault.inject(requestId);
        JsonNode ended = awaitRequest(requestId);
        String outcome = ended == null ? "not ended" : ended.path("phase").asText();
        if (ended == null) {
            tally.violations.add("backup request " + requestId + " did not end within " + WAIT.toSeconds() + " s");
        } else if (outcome.equals("FAILED") && ended.path("reason").asText("").isBlank()) {
            tally.violations.add("backup request " + requestId + " FAILED without a reason");
        }
        tally.outcomes.merge(outcome.equals("FAILED") ? "FAILED with a reason" : outcome, 1, Integer::sum);
        String after = backUp();
        JsonNode next = awaitRequest(after);
        if (next == null || !Set.of("COMPLETED", "COALESCED").contains(next.path("phase").asText())) {
            tally.violations.add("the backup after the fault (" + after + ") did not complete: " + (next == null ? "no end" : next.toString()));
        }
        tally.violations.addAll(invariants());
    }

    /**
     * A REPLACE of the newest snapshot after the keyspace changed, with a fault injected while it runs: it must end
     * with the member serving the snapshot (COMPLETED) or its pre-restore data (FAILED), not paused; and the invariants hold.
     */
    private static void replaceWithFault(String name, Fault fault) throws Exception {
        Tally tally = TABLE.computeIfAbsent(name, key -> new Tally());
        tally.runs++;
        String marker = Long.toString(RANDOM.nextLong() & Long.MAX_VALUE);
        put(Map.of("/registry/marker", "snapshot-" + marker));
        TreeMap<String, String> snapshotted = everything();
        JsonNode snapshot = awaitAnswer(backUp());
        assertEquals("COMPLETED", snapshot.path("phase").asText(), String.valueOf(snapshot));
        put(Map.of("/registry/marker", "after-" + marker, "/registry/after/" + marker, "written after the backup"));
        TreeMap<String, String> preRestore = everything();
        // restore-service learns of the snapshot from Kafka; killed in the fault before, its consumer may still be rejoining.
        String body = "{\"cluster\": \"" + CLUSTER + "\", \"snapshot\": \"" + snapshot.path("id").asText() + "\", \"mode\": \"REPLACE\"}";
        HttpResponse<String> started = call("POST", "restore-service", "/api/v1/restores", body);
        Instant known = Instant.now().plus(WAIT);
        while (started.statusCode() == 404 && started.body().contains("is not a completed snapshot Lifeboat knows") && Instant.now().isBefore(known)) {
            Thread.sleep(500);
            started = call("POST", "restore-service", "/api/v1/restores", body);
        }
        assertEquals(202, started.statusCode(), started.body());
        String id = JSON.readTree(started.body()).path("id").asText();
        fault.inject(id);
        JsonNode restore = awaitRestore(id);
        if (restore == null) {
            tally.violations.add("restore " + id + " did not end within " + WAIT.toSeconds() + " s");
            tally.outcomes.merge("not ended", 1, Integer::sum);
            return;
        }
        String phase = restore.path("phase").asText();
        String rollback = restore.path("rollback").path("state").asText("");
        TreeMap<String, String> expected = phase.equals("COMPLETED") ? snapshotted : preRestore;
        if (phase.equals("COMPLETED")) {
            tally.outcomes.merge("COMPLETED", 1, Integer::sum);
        } else {
            tally.outcomes.merge("FAILED" + (rollback.isEmpty() ? ", data untouched" : ", " + rollback), 1, Integer::sum);
        }
        for (EtcdCluster.Member member : members) {
            if (!expected.equals(everything(member))) {
                tally.violations.add("restore " + id + " " + phase + " (rollback " + rollback + ", error " + restore.path("error").asText()
                        + ") but member " + member.name() + " does not serve " + (phase.equals("COMPLETED") ? "the snapshot's" : "its pre-restore")
                        + " keyspace");
            }
        }
        if (!phase.equals("COMPLETED")) {
            if (rollback.equals("FAILED")) {
                tally.violations.add("restore " + id + ": the automatic rollback failed: " + restore.path("rollback").path("error").asText());
            }
        }
        JsonNode cluster = JSON.readTree(call("GET", "scheduler-service", "/api/v1/clusters/" + CLUSTER, null).body());
        Instant deadline = Instant.now().plusSeconds(30);
        while (cluster.path("paused").asBoolean(false) && Instant.now().isBefore(deadline)) {
            Thread.sleep(500);
            cluster = JSON.readTree(call("GET", "scheduler-service", "/api/v1/clusters/" + CLUSTER, null).body());
        }
        if (cluster.path("paused").asBoolean(false)) {
            tally.violations.add("cluster " + CLUSTER + " is left paused after restore " + id);
        }
        tally.violations.addAll(invariants());
    }

    /** What must hold after every fault (see the class comment); each broken rule as a sentence. */
    private static List<String> invariants() throws Exception {
        List<String> broken = new ArrayList<>();
        // Work the fault's work started (a REPLACE asks for a fresh backup when it completes) ends first.
        Instant settled = Instant.now().plus(WAIT);
        List<JsonNode> snapshots = snapshots();
        while (snapshots.stream().anyMatch(s -> Set.of("PENDING", "RUNNING").contains(s.path("phase").asText())) && Instant.now().isBefore(settled)) {
            Thread.sleep(500);
            snapshots = snapshots();
        }
        Path bucketRoot = lifeboat.stack.s3().baseDir();
        Map<String, List<String>> completedByRequest = new LinkedHashMap<>();
        Set<String> completedObjects = new java.util.HashSet<>();
        for (JsonNode snapshot : snapshots) {
            String phase = snapshot.path("phase").asText();
            if (!phase.equals("COMPLETED")) {
                if (Set.of("PENDING", "RUNNING").contains(phase)) {
                    broken.add("snapshot " + snapshot.path("id").asText() + " is still " + phase + " " + WAIT.toSeconds() + " s after the fault's work ended");
                }
                continue;
            }
            Path object = bucketRoot.resolve(snapshot.path("bucket").asText()).resolve(snapshot.path("objectKey").asText());
            completedObjects.add(object.toString());
            if (!Files.isRegularFile(object)) {
                broken.add("COMPLETED snapshot " + snapshot.path("id").asText() + " has no object " + snapshot.path("objectKey").asText());
            } else if (Files.size(object) != snapshot.path("storedSize").asLong()) {
                broken.add("the object of snapshot " + snapshot.path("id").asText() + " has " + Files.size(object) + " bytes, the catalog says "
                        + snapshot.path("storedSize").asLong());
            }
            completedByRequest.computeIfAbsent(snapshot.path("requestId").asText(), key -> new ArrayList<>()).add(snapshot.path("id").asText());
        }
        completedByRequest.forEach((request, ids) -> {
            if (ids.size() > 1 && !request.isEmpty()) {
                broken.add("request " + request + " has " + ids.size() + " completed snapshots " + ids);
            }
        });
        try (var files = Files.walk(bucketRoot)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                String path = file.toString();
                // S3Proxy keeps an unfinished multipart upload in .mpus-* files: no object anybody can list or read.
                boolean backupFolder = (path.contains("/" + CLUSTER + "/full/") || path.contains("/" + CLUSTER + "/delta/"))
                        && !bucketRoot.relativize(file).toString().contains(".mpus-");
                boolean manifest = path.endsWith(".manifest.json");
                String object = manifest ? path.substring(0, path.length() - ".manifest.json".length()) : path;
                if (backupFolder && !completedObjects.contains(object)) {
                    broken.add((manifest ? "manifest " : "object ") + bucketRoot.relativize(file) + " looks like a backup but has no COMPLETED catalog entry");
                }
            }
            for (String object : completedObjects) {
                boolean named = object.matches(".*/\\d{8}T\\d{6}Z-[0-9a-f]{16}(-\\d+)?\\.(db|delta)[.a-z]*");
                if (named && !Files.isRegularFile(Path.of(object + ".manifest.json"))) {
                    broken.add("COMPLETED object " + bucketRoot.relativize(Path.of(object)) + " has no manifest");
                }
            }
        }
        snapshots.stream().filter(s -> s.path("kind").asText().equals("FULL") && Set.of("COMPLETED", "DELETED").contains(s.path("phase").asText()))
                .findFirst().filter(newest -> newest.path("phase").asText().equals("DELETED"))
                .ifPresent(newest -> broken.add("the newest full snapshot " + newest.path("id").asText() + " was deleted"));
        broken.addAll(leakedProcesses());
        return broken;
    }

    /** One etcd on each member's data dir; one process per service; four agents (the e2e member's and these three). */
    private static List<String> leakedProcesses() throws InterruptedException {
        List<String> leaks = new ArrayList<>();
        // A member whose etcd was just killed is started again by its agent within its back-off.
        Instant deadline = Instant.now().plusSeconds(30);
        List<String> commands;
        List<String> wrong;
        do {
            commands = ProcessHandle.allProcesses().filter(ProcessHandle::isAlive).map(process -> process.info().commandLine().orElse("")).toList();
            List<String> snapshot = commands;
            wrong = members.stream().map(member -> {
                long etcds = snapshot.stream().filter(command -> isEtcdOf(command, member)).count();
                return etcds == 1 ? null : etcds + " etcd processes on " + member.dataDir();
            }).filter(java.util.Objects::nonNull).toList();
            if (!wrong.isEmpty()) {
                Thread.sleep(500);
            }
        } while (!wrong.isEmpty() && Instant.now().isBefore(deadline));
        leaks.addAll(wrong);
        Map<String, Integer> expected = Map.of("scheduler-service", 1, "snapshot-service", 1, "retention-service", 1, "restore-service", 1,
                "etcd-agent", 1 + members.size());
        List<String> running = commands;
        expected.forEach((module, count) -> {
            String jar = RunningLifeboat.REPO.resolve(module).resolve("target/quarkus-app/quarkus-run.jar").toString();
            long processes = running.stream().filter(command -> command.contains(jar)).count();
            if (processes != count) {
                leaks.add(processes + " " + module + " processes (expected " + count + ")");
            }
        });
        return leaks;
    }

    private static boolean isEtcdOf(String command, EtcdCluster.Member member) {
        return command.contains("--data-dir " + member.dataDir() + " ") || command.endsWith("--data-dir " + member.dataDir());
    }

    /** The member etcd elected leader, as its own status says. */
    private static EtcdCluster.Member leader() throws Exception {
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline)) {
            for (EtcdCluster.Member member : members) {
                try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
                    var status = etcd.getMaintenanceClient().statusMember(member.clientUrl()).get(5, TimeUnit.SECONDS);
                    if (status.getLeader() == status.getHeader().getMemberId()) {
                        return member;
                    }
                } catch (Exception e) {
                    // not answering: look at the next one
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no etcd member of cluster " + CLUSTER + " says it is the leader");
    }

    /** Waits until snapshot-service runs the request (or it ended), so a fault lands in the middle of the work. */
    private static void awaitRunning(String requestId) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline)) {
            try {
                for (JsonNode snapshot : snapshots()) {
                    if (requestId.equals(snapshot.path("requestId").asText()) && !snapshot.path("phase").asText().equals("PENDING")) {
                        return;
                    }
                }
            } catch (IOException e) {
                // ask again
            }
            Thread.sleep(50);
        }
    }

    private static String backUp() throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (true) {
            try {
                HttpResponse<String> answer = call("POST", "scheduler-service", "/api/v1/clusters/" + CLUSTER + "/backups",
                        "{\"reason\": \"fault injection\"}");
                if (answer.statusCode() == 202) {
                    return JSON.readTree(answer.body()).path("requestId").asText();
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("backup request refused: " + answer.statusCode() + " " + answer.body());
                }
            } catch (IOException e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
            }
            Thread.sleep(500);
        }
    }

    /** The catalog entry of a backup request once it ended (COMPLETED, FAILED, COALESCED or DELETED), or null. */
    private static JsonNode awaitRequest(String requestId) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try {
                for (JsonNode snapshot : snapshots()) {
                    if (requestId.equals(snapshot.path("requestId").asText())
                            && Set.of("COMPLETED", "FAILED", "COALESCED", "DELETED").contains(snapshot.path("phase").asText())) {
                        return snapshot;
                    }
                }
            } catch (IOException e) {
                // snapshot-service is down or restarting: ask again
            }
            Thread.sleep(500);
        }
        return null;
    }

    /**
     * The snapshot that answers a backup request: the request's own entry, or, when it was coalesced into a snapshot
     * that started after it was made (a retry of an earlier faulted request can be running), that snapshot once it
     * ended. Either one holds every write made before the request.
     */
    private static JsonNode awaitAnswer(String requestId) throws InterruptedException {
        JsonNode ended = awaitRequest(requestId);
        if (ended == null || !ended.path("phase").asText().equals("COALESCED")) {
            return ended;
        }
        String into = ended.path("coalescedInto").asText();
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try {
                for (JsonNode snapshot : snapshots()) {
                    if (into.equals(snapshot.path("id").asText())
                            && Set.of("COMPLETED", "FAILED", "DELETED").contains(snapshot.path("phase").asText())) {
                        return snapshot;
                    }
                }
            } catch (IOException e) {
                // snapshot-service is down or restarting: ask again
            }
            Thread.sleep(500);
        }
        return ended;
    }

    /** A restore once it ended and its rollback (if any) ended, or null. */
    private static JsonNode awaitRestore(String id) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try {
                HttpResponse<String> answer = call("GET", "restore-service", "/api/v1/restores/" + id, null);
                if (answer.statusCode() == 200) {
                    JsonNode restore = JSON.readTree(answer.body());
                    boolean ended = Set.of("COMPLETED", "FAILED").contains(restore.path("phase").asText());
                    if (ended && !"REQUESTED".equals(restore.path("rollback").path("state").asText(""))) {
                        return restore;
                    }
                }
            } catch (IOException e) {
                // restore-service is down or restarting: ask again
            }
            Thread.sleep(500);
        }
        return null;
    }

    private static List<JsonNode> snapshots() throws IOException, InterruptedException {
        HttpResponse<String> answer = call("GET", "snapshot-service", "/api/v1/snapshots?cluster=" + CLUSTER + "&limit=1000", null);
        if (answer.statusCode() != 200) {
            throw new IOException("snapshot-service answered " + answer.statusCode());
        }
        List<JsonNode> list = new ArrayList<>();
        JSON.readTree(answer.body()).forEach(list::add);
        return list;
    }

    private static HttpResponse<String> call(String method, String service, String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(lifeboat.url(service) + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + lifeboat.stack.adminToken());
        if (body != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void pause(int fromMillis, int toMillis) throws InterruptedException {
        Thread.sleep(fromMillis + RANDOM.nextInt(toMillis - fromMillis + 1));
    }

    private static void put(Map<String, String> entries) throws Exception {
        try (Client etcd = Client.builder().endpoints(members.stream().map(EtcdCluster.Member::clientUrl).toArray(String[]::new)).build()) {
            for (Map.Entry<String, String> entry : entries.entrySet()) {
                etcd.getKVClient().put(bytes(entry.getKey()), bytes(entry.getValue())).get(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Every key and value the cluster serves. */
    private static TreeMap<String, String> everything() throws Exception {
        return everything(members.get(0));
    }

    /** Every key and value a member serves, read from that member alone. */
    private static TreeMap<String, String> everything(EtcdCluster.Member member) throws Exception {
        Instant deadline = Instant.now().plusSeconds(60);
        while (true) {
            try (Client etcd = Client.builder().endpoints(member.clientUrl()).maxInboundMessageSize(256 << 20).build()) {
                TreeMap<String, String> all = new TreeMap<>();
                for (KeyValue kv : etcd.getKVClient().get(bytes("\0"), GetOption.builder().withRange(bytes("\0")).build()).get(30, TimeUnit.SECONDS)
                        .getKvs()) {
                    all.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
                }
                return all;
            } catch (Exception e) {
                if (Instant.now().isAfter(deadline)) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
