package dev.lifeboat.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;

/**
 * Lifeboat as a user meets it: the local stack, one etcd member run by an etcd-agent, and the four
 * services as built, all exporting their traces to a receiver in this test. The CLI ({@code ./lifeboat},
 * as a process) registers the cluster, sets a policy, backs up, lists, restores after etcd was changed,
 * and shows the timeline; the etcd keyspace is compared with what was backed up; one scheduled backup
 * and one restore are each checked to be one trace across every service they crossed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(RunningLifeboat.Shared.class)
class EndToEndIT {

    private static final String CLUSTER = RunningLifeboat.CLUSTER;
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path REPO = RunningLifeboat.REPO;
    private static final Map<String, String> URLS = new HashMap<>();

    private static OtlpReceiver traces;
    private static LocalStack stack;
    private static EtcdCluster.Member member;
    private static String restoreId;

    @BeforeAll
    static void start() throws Exception {
        RunningLifeboat lifeboat = RunningLifeboat.get();
        traces = lifeboat.traces;
        stack = lifeboat.stack;
        member = lifeboat.member;
        URLS.putAll(lifeboat.urls);
    }

    @Test
    @Order(1)
    void oneScheduledBackupIsOneTraceFromTheSlotToTheRetentionRun() throws Exception {
        assertEquals(0, lifeboat("cluster", "add", CLUSTER, "--endpoint", member.clientUrl(), "--member",
                "e2e-0=" + member.peerUrl() + "=" + member.clientUrl()).code());
        assertEquals(0, lifeboat("policy", "set", "--cluster", CLUSTER, "--id", "default", "--schedule", "@every 5s", "--keep-last", "10").code());
        JsonNode scheduled = await(() -> snapshots().stream().filter(s -> s.path("requestId").asText().startsWith("policy-" + CLUSTER + "-default-")
                && "COMPLETED".equals(s.path("phase").asText())).findFirst().orElse(null), WAIT, "a scheduled snapshot");
        assertEquals(0, lifeboat("policy", "set", "--cluster", CLUSTER, "--id", "default", "--schedule", "@daily", "--keep-last", "10").code());

        String snapshotId = scheduled.path("id").asText();
        OtlpReceiver.ReceivedSpan taken = awaitSpan(s -> s.name().equals("snapshot " + CLUSTER) && snapshotId.equals(s.attributes().get("lifeboat.snapshot.id")));
        String trace = taken.traceId();
        // The retention run this snapshot asked for: in its trace, or — where one run served several snapshots
        // (@every 5s completes several before the policy changes) — in another snapshot's trace, linked to this one.
        OtlpReceiver.ReceivedSpan retention = awaitSpan(s -> s.name().equals("retention " + CLUSTER)
                && (s.traceId().equals(trace) || s.linkInto(trace) != null));
        Thread.sleep(1000);
        List<OtlpReceiver.ReceivedSpan> spans = traces.spans().stream().filter(s -> s.traceId().equals(trace)).toList();
        List<OtlpReceiver.ReceivedSpan> roots = spans.stream().filter(OtlpReceiver.ReceivedSpan::root).toList();
        assertEquals(1, roots.size(), "one root: " + names(spans));
        assertEquals("Firing.slot", roots.get(0).name());
        assertEquals("scheduler-service", roots.get(0).service());
        assertEquals(CLUSTER, roots.get(0).attributes().get("lifeboat.cluster.id"));
        Set<String> ids = spans.stream().map(OtlpReceiver.ReceivedSpan::spanId).collect(Collectors.toSet());
        for (OtlpReceiver.ReceivedSpan span : spans) {
            assertTrue(span.root() || ids.contains(span.parentId()), "the parent of " + span.name() + " (" + span.service() + ") is in the trace: " + names(spans));
        }
        assertTrue(spans.stream().map(OtlpReceiver.ReceivedSpan::service).collect(Collectors.toSet())
                .containsAll(Set.of("scheduler-service", "snapshot-service", "retention-service")), names(spans));
        assertEquals(Long.toString(scheduled.path("revision").asLong()), taken.attributes().get("lifeboat.snapshot.revision"));
        assertEquals(Long.toString(scheduled.path("rawSize").asLong()), taken.attributes().get("lifeboat.snapshot.bytes"));
        assertTrue(spans.stream().anyMatch(s -> s.name().equals("SnapshotTaker.take") && s.parentId().equals(taken.spanId())), names(spans));
        String askedFrom = retention.traceId().equals(trace) ? retention.parentId() : retention.linkInto(trace).spanId();
        OtlpReceiver.ReceivedSpan asking = spans.stream().filter(s -> s.spanId().equals(askedFrom)).findFirst()
                .orElseThrow(() -> new AssertionError("the span the retention run follows or links to is in the trace: " + names(spans)));
        assertTrue(asking.spanId().equals(taken.spanId()) || ancestors(spans, asking).contains(taken.spanId()),
                "the retention run follows the snapshot that asked for it: " + names(spans));
    }

    @Test
    @Order(2)
    void theCliBacksUpRestoresAfterAChangeAndShowsEveryStep() throws Exception {
        TreeMap<String, String> backedUp;
        try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
            for (int i = 0; i < 50; i++) {
                put(etcd, "/registry/configmaps/shop/cm-" + i, "v1-" + i);
            }
            backedUp = keyspace(etcd);
        }
        Run backup = lifeboat("backup", "now", "--cluster", CLUSTER, "--wait");
        assertEquals(0, backup.code(), backup.err());
        assertTrue(backup.out().contains("RUNNING") && backup.out().contains("completed: revision"), backup.out());

        Run list = lifeboat("snapshots", "list", "--cluster", CLUSTER, "-o", "json");
        assertEquals(0, list.code());
        JsonNode newest = JSON.readTree(list.out()).get(0);
        assertEquals("COMPLETED", newest.path("phase").asText());
        Run table = lifeboat("snapshots", "list", "--cluster", CLUSTER);
        assertTrue(table.out().startsWith("ID") && table.out().contains(newest.path("id").asText()), table.out());

        Path file = Files.createTempFile("e2e", ".db");
        assertEquals(0, lifeboat("snapshots", "download", newest.path("id").asText(), "-o", file.toString()).code());
        Run status = lifeboat("snapshot", "status", file.toString(), "-o", "json");
        assertEquals(0, status.code(), status.err());
        assertEquals(newest.path("revision").asLong(), JSON.readTree(status.out()).path("revision").asLong(), "the download is the snapshot");

        try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
            for (int i = 0; i < 10; i++) {
                put(etcd, "/registry/configmaps/shop/cm-" + i, "changed");
            }
            etcd.getKVClient().delete(bytes("/registry/configmaps/shop/cm-20")).get(10, TimeUnit.SECONDS);
            put(etcd, "/registry/configmaps/shop/new", "x");
            assertNotEquals(backedUp, keyspace(etcd));
        }
        Run restore = lifeboat("restore", "--cluster", CLUSTER, "--snapshot", "latest", "--mode", "REPLACE", "--wait");
        assertEquals(0, restore.code(), restore.out() + restore.err());
        restoreId = restore.out().lines().findFirst().orElseThrow().split(" ")[1];
        for (String phase : List.of("VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING", "COMPLETED")) {
            assertTrue(restore.out().contains(phase), "--wait showed " + phase + ": " + restore.out());
        }
        assertTrue(restore.out().contains("member e2e-0: RESTORED"), restore.out());
        try (Client etcd = Client.builder().endpoints(member.clientUrl()).build()) {
            assertEquals(backedUp, keyspace(etcd), "etcd holds exactly what was backed up");
        }

        Run timeline = lifeboat("timeline", "--cluster", CLUSTER, "-o", "json");
        assertEquals(0, timeline.code());
        List<String> types = new ArrayList<>();
        JSON.readTree(timeline.out()).forEach(event -> types.add(event.path("type").asText()));
        for (String type : List.of("lifeboat.cluster.registered.v1", "lifeboat.cluster.policy-set.v1", "lifeboat.snapshot.requested.v1",
                "lifeboat.snapshot.started.v1", "lifeboat.snapshot.completed.v1", "lifeboat.restore.phase-changed.v1",
                "lifeboat.cluster.pause-requested.v1", "lifeboat.cluster.paused.v1", "lifeboat.agent.restore-member.v1",
                "lifeboat.agent.member-restored.v1", "lifeboat.cluster.resumed.v1", "lifeboat.audit.call.v1")) {
            assertTrue(types.contains(type), "the timeline shows " + type + ": " + types);
        }
        Run people = lifeboat("timeline", "--cluster", CLUSTER);
        assertTrue(people.out().contains("member e2e-0 restored at revision"), people.out());

        Run refused = lifeboat("restore", "--cluster", "no-such-cluster");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("not registered"), refused.err());

        assertTrue(metric("snapshot-service", "lifeboat_snapshot_duration_seconds_count{cluster=\"e2e\",kind=\"full\",succeeded=\"true\"}",
                count -> count >= 2) >= 2, "snapshot durations are counted");
        // The restore took a fresh backup, at the revision etcdutl bumped to: the gauge follows the newest completed snapshot.
        long[] listed = {0};
        long before = newest.path("revision").asLong();
        double latest = metric("snapshot-service", "lifeboat_snapshot_latest_revision{cluster=\"e2e\",kind=\"full\"}", value -> {
            listed[0] = newestCompletedRevision();
            return value == listed[0] && listed[0] > before;
        });
        assertEquals(listed[0], (long) latest, "the newest snapshot's revision");
        assertTrue(listed[0] > before, "the backup after the REPLACE is past the bumped revision: " + listed[0]);
        long completedAt = Instant.parse(newest.path("completedAt").asText()).getEpochSecond();
        assertTrue(metric("snapshot-service", "lifeboat_snapshot_latest_timestamp{cluster=\"e2e\",kind=\"full\"}", at -> at >= completedAt - 1)
                >= completedAt - 1, "the newest snapshot's time");
        assertEquals(1.0, metric("restore-service",
                "lifeboat_restoration_duration_seconds_count{cluster=\"e2e\",mode=\"REPLACE\",point_in_time=\"false\",succeeded=\"true\"}",
                count -> count == 1.0));
        assertEquals(0.0, metric("restore-service", "lifeboat_outbox_backlog{service=\"lifeboat/restore-service\"}", backlog -> backlog == 0.0),
                "the relay keeps up");
    }

    /**
     * One sample of a service's Prometheus metrics ({@code name{labels}} exactly as exposed): its value once
     * {@code expected} holds for it, or its last value after 30 s (for the caller's assertion to report).
     */
    /** The revision of the cluster's newest completed snapshot, as the CLI lists it. */
    private static long newestCompletedRevision() {
        try {
            Run list = lifeboat("snapshots", "list", "--cluster", CLUSTER, "-o", "json");
            for (JsonNode snapshot : JSON.readTree(list.out())) {
                if ("COMPLETED".equals(snapshot.path("phase").asText())) {
                    return snapshot.path("revision").asLong();
                }
            }
            return -1;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double metric(String service, String sample, java.util.function.DoublePredicate expected) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        Instant deadline = Instant.now().plusSeconds(30);
        Double last = null;
        while (true) {
            String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(URLS.get(service) + "/q/metrics"))
                    .header("Authorization", "Bearer " + stack.adminToken()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith(sample + " ")) {
                    last = Double.parseDouble(line.substring(sample.length() + 1).split(" ")[0]);
                }
            }
            if (last != null && expected.test(last)) {
                return last;
            }
            if (Instant.now().isAfter(deadline)) {
                if (last == null) {
                    throw new AssertionError(service + " exposes no " + sample);
                }
                return last;
            }
            Thread.sleep(500);
        }
    }

    @Test
    @Order(3)
    void oneRestoreIsOneTraceWithASpanPerPhaseAndForTheMember() throws Exception {
        OtlpReceiver.ReceivedSpan saga = awaitSpan(s -> s.name().equals("restore " + restoreId));
        awaitSpan(s -> s.traceId().equals(saga.traceId()) && s.name().equals("restore RESUMING"));
        Thread.sleep(1000);
        List<OtlpReceiver.ReceivedSpan> spans = traces.spans().stream().filter(s -> s.traceId().equals(saga.traceId())).toList();
        for (String phase : List.of("VALIDATING", "PAUSING", "FETCHING", "RESTORING", "VERIFYING", "RESUMING")) {
            OtlpReceiver.ReceivedSpan span = spans.stream().filter(s -> s.name().equals("restore " + phase)).findFirst()
                    .orElseThrow(() -> new AssertionError("a span for " + phase + ": " + names(spans)));
            assertEquals(saga.spanId(), span.parentId(), phase + " is a child of the restore's span");
            assertEquals(restoreId, span.attributes().get("lifeboat.restore.id"));
        }
        OtlpReceiver.ReceivedSpan memberSpan = spans.stream().filter(s -> s.name().equals("restore member e2e-0")).findFirst()
                .orElseThrow(() -> new AssertionError("the agent's span: " + names(spans)));
        assertEquals("etcd-agent", memberSpan.service());
        OtlpReceiver.ReceivedSpan restoring = spans.stream().filter(s -> s.name().equals("restore RESTORING")).findFirst().orElseThrow();
        assertTrue(ancestors(spans, memberSpan).contains(restoring.spanId()), "the member's span follows the RESTORING phase: " + names(spans));
        assertTrue(spans.stream().anyMatch(s -> s.service().equals("scheduler-service")), "the pause went through the scheduler: " + names(spans));
        assertFalse(spans.stream().filter(OtlpReceiver.ReceivedSpan::root).count() > 1, "one root: " + names(spans));
    }

    /**
     * A restore drill from the CLI, end to end: the newest snapshot restored by the member's etcd-agent into a scratch
     * etcd and compared with the HashKV recorded at backup; the verdict reaches the catalog, retention's preview, the
     * timeline and the metrics.
     */
    @Test
    @Order(4)
    void theCliProvesTheNewestSnapshotRestorableAndEveryServiceHearsOfIt() throws Exception {
        Run drill = lifeboat("drill", "run", "--cluster", CLUSTER, "--wait");
        assertEquals(0, drill.code(), drill.out() + drill.err());
        assertTrue(drill.out().contains(" passed: snapshot ") && drill.out().contains("with the HashKV recorded at backup"), drill.out());
        String snapshotId = drill.out().lines().filter(line -> line.contains(" passed: snapshot ")).findFirst().orElseThrow()
                .split(" passed: snapshot ")[1].split(" ")[0];

        Instant deadline = Instant.now().plusSeconds(30);
        JsonNode verified = null;
        while (verified == null && Instant.now().isBefore(deadline)) {
            for (JsonNode item : JSON.readTree(lifeboat("retention", "preview", "--cluster", CLUSTER, "-o", "json").out()).path("snapshots")) {
                if (item.path("id").asText().equals(snapshotId) && item.hasNonNull("verifiedAt")) {
                    verified = item;
                }
            }
            Thread.sleep(500);
        }
        assertTrue(verified != null && verified.path("keep").asBoolean(), "retention knows the snapshot is verified and keeps it: " + verified);
        JsonNode catalogued = null;
        for (JsonNode snapshot : JSON.readTree(lifeboat("snapshots", "list", "--cluster", CLUSTER, "-o", "json").out())) {
            if (snapshot.path("id").asText().equals(snapshotId)) {
                catalogued = snapshot;
            }
        }
        assertTrue(catalogued != null && "PASSED".equals(catalogued.path("drill").path("verdict").asText()) && catalogued.hasNonNull("verifiedAt"),
                "the catalog records the verdict: " + catalogued);
        Run list = lifeboat("drill", "list", "--cluster", CLUSTER);
        assertTrue(list.out().startsWith("DRILL") && list.out().contains(snapshotId) && list.out().contains("PASSED"), list.out());
        List<String> types = new ArrayList<>();
        JSON.readTree(lifeboat("timeline", "--cluster", CLUSTER, "-o", "json").out()).forEach(event -> types.add(event.path("type").asText()));
        assertTrue(types.containsAll(List.of("lifeboat.agent.run-drill.v1", "lifeboat.agent.drill-completed.v1", "lifeboat.restore.drill-ended.v1")),
                "the timeline shows the drill: " + types);
        long now = Instant.now().getEpochSecond();
        assertTrue(metric("restore-service", "lifeboat_snapshot_last_verified_timestamp_seconds{cluster=\"e2e\"}", at -> at > now - 300) > now - 300,
                "the last verified time is exported");
    }

    private record Run(int code, String out, String err) {
    }

    /** {@code ./lifeboat ARGS} as a process, with the services' URLs in its environment. */
    private static Run lifeboat(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("lifeboat").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("LIFEBOAT_TOKEN", stack.adminToken());
        builder.environment().put("LIFEBOAT_SCHEDULER_URL", URLS.get("scheduler-service"));
        builder.environment().put("LIFEBOAT_SNAPSHOT_URL", URLS.get("snapshot-service"));
        builder.environment().put("LIFEBOAT_RETENTION_URL", URLS.get("retention-service"));
        builder.environment().put("LIFEBOAT_RESTORE_URL", URLS.get("restore-service"));
        Path out = Files.createTempFile("lifeboat", ".out");
        Path err = Files.createTempFile("lifeboat", ".err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(5, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new AssertionError("lifeboat " + String.join(" ", args) + " did not end");
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static List<JsonNode> snapshots() {
        try {
            Run run = lifeboat("snapshots", "list", "--cluster", CLUSTER, "-o", "json");
            List<JsonNode> list = new ArrayList<>();
            JSON.readTree(run.out()).forEach(list::add);
            return list;
        } catch (Exception e) {
            return List.of();
        }
    }

    private static OtlpReceiver.ReceivedSpan awaitSpan(Predicate<OtlpReceiver.ReceivedSpan> match) throws InterruptedException {
        return await(() -> traces.spans().stream().filter(match).findFirst().orElse(null), WAIT, "a span");
    }

    private static <T> T await(java.util.function.Supplier<T> read, Duration wait, String what) throws InterruptedException {
        Instant deadline = Instant.now().plus(wait);
        while (true) {
            T value = read.get();
            if (value != null) {
                return value;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " did not come within " + wait.toSeconds() + " s; spans so far: " + names(traces.spans()));
            }
            Thread.sleep(300);
        }
    }

    /** The span ids above a span, up to its root. */
    private static List<String> ancestors(List<OtlpReceiver.ReceivedSpan> spans, OtlpReceiver.ReceivedSpan span) {
        Map<String, OtlpReceiver.ReceivedSpan> byId = spans.stream().collect(Collectors.toMap(OtlpReceiver.ReceivedSpan::spanId, s -> s, (a, b) -> a));
        List<String> above = new ArrayList<>();
        OtlpReceiver.ReceivedSpan current = span;
        while (!current.root() && byId.containsKey(current.parentId())) {
            above.add(current.parentId());
            current = byId.get(current.parentId());
        }
        return above;
    }

    private static String names(List<OtlpReceiver.ReceivedSpan> spans) {
        return spans.stream().map(s -> s.service() + ":" + s.name()).distinct().sorted().collect(Collectors.joining(", "));
    }

    private static TreeMap<String, String> keyspace(Client etcd) throws Exception {
        TreeMap<String, String> found = new TreeMap<>();
        ByteSequence zero = ByteSequence.from(new byte[] {0});
        for (KeyValue kv : etcd.getKVClient().get(zero, GetOption.builder().withRange(zero).build()).get(10, TimeUnit.SECONDS).getKvs()) {
            found.put(kv.getKey().toString(StandardCharsets.UTF_8), kv.getValue().toString(StandardCharsets.UTF_8));
        }
        return found;
    }

    private static void put(Client etcd, String key, String value) throws Exception {
        etcd.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    }

    private static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }
}
