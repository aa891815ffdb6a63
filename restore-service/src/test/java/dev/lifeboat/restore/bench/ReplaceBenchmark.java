package dev.lifeboat.restore.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.Topics;
import dev.lifeboat.restore.RestoreStackResource;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;

/**
 * {@code make bench-replace}: a REPLACE restore of a ≥ 500 MB snapshot onto one member run by an
 * etcd-agent, against etcd's own way on the same machine in the same run: {@code etcdctl snapshot
 * restore} of the same snapshot from a local file, then etcd started on it until {@code /health} is
 * true. Five alternating rounds; medians. Before each measured step the page cache is written back ({@code sync}), so
 * no step pays for the disk writes the one before it left behind. Prints two ratios: the member's replace (the saga's
 * RESTORING phase: the agent fetches the snapshot from snapshot-service — stored zstd and encrypted —
 * runs etcd's restore, swaps the data dir and starts etcd) and the whole saga (pause, fetch and decode
 * for verification, replace, key-by-key verification, resume). Each round also runs a restore drill of the same snapshot
 * (RunDrill on the member's agent: fetch, restore, scratch etcd, HashKV and sample comparison) and prints its ratio to
 * the same reference and the agent's peak resident memory while it ran.
 */
public final class ReplaceBenchmark {

    private static final long TARGET_BYTES = 520L << 20;
    private static final int VALUE_BYTES = 128 << 10;
    private static final int ROUNDS = 5;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "restore-service/target/replace-benchmark").toAbsolutePath();
        Path repo = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
        Dirs.fresh(dir);
        List<QuarkusService> services = new CopyOnWriteArrayList<>();
        try (LocalStack stack = LocalStack.start(StackOptions.forTests(dir.resolve("stack"), Topics.all()))) {
            BenchSupport.useToken(stack.adminToken());
            Path runDir = stack.options().runDir();
            Map<String, String> config = RestoreStackResource.startPeers(stack, services, repo);
            String scheduler = config.get("test.scheduler.url");
            EtcdCluster.Member member = new EtcdCluster.Member("bench-0", Ports.free(), Ports.free(), dir.resolve("agent").resolve("bench-0"));
            try (EtcdAgents agent = EtcdAgents.start(repo, "bench", EtcdCluster.planned(List.of(member)), stack,
                    config.get("test.snapshot.url"), i -> Ports.free(), m -> Map.of("lifeboat.agent.health-timeout", "120s"))) {
                QuarkusService restore = QuarkusService.startOnFreePort(repo, "restore-service", "restore-service", config, runDir)
                        .awaitReady(Duration.ofSeconds(120));
                services.add(restore);
                BenchSupport.registerCluster(scheduler, "bench", member);
                load(member.clientUrl());
                BenchSupport.post(scheduler + "/api/v1/clusters/bench/backups", "{\"reason\": \"benchmark\"}", 202);
                JsonNode snapshot = awaitSnapshot(config.get("test.snapshot.url"));
                Path local = dir.resolve("local.db");
                run(dir, "etcdctl", "--endpoints", member.clientUrl(), "snapshot", "save", local.toString());
                System.out.printf("snapshot %s: %.1f MB raw (%.1f MB stored, %s), revision %d; local copy %.1f MB%n", snapshot.path("id").asText(),
                        snapshot.path("rawSize").asLong() / 1e6, snapshot.path("storedSize").asLong() / 1e6, snapshot.path("compression").asText(),
                        snapshot.path("revision").asLong(), Files.size(local) / 1e6);

                List<Double> etcdWay = new ArrayList<>();
                List<Double> replaces = new ArrayList<>();
                List<Double> sagas = new ArrayList<>();
                List<Double> drills = new ArrayList<>();
                List<Double> drillsWhole = new ArrayList<>();
                double drillPeakRss = 0;
                double drillPeakAnon = 0;
                long agentPid = agent.agents().get(0).pid();
                PeakRss restoreRss = PeakRss.of(restore.pid());
                PeakRss agentRss = PeakRss.of(agentPid);
                for (int round = 1; round <= ROUNDS; round++) {
                    run(dir, "sync");
                    double reference = etcdctlRestoreAndStart(dir, local, round);
                    run(dir, "sync");
                    double[] drill = drill(restore.url(), snapshot.path("id").asText(), agentPid);
                    run(dir, "sync");
                    double[] ours = replace(restore.url(), snapshot.path("id").asText());
                    etcdWay.add(reference);
                    replaces.add(ours[0]);
                    sagas.add(ours[1]);
                    drills.add(drill[0]);
                    drillsWhole.add(drill[1]);
                    drillPeakRss = Math.max(drillPeakRss, drill[2]);
                    drillPeakAnon = Math.max(drillPeakAnon, drill[3]);
                    System.out.printf("round %d: etcdctl restore + start %.2f s; Lifeboat drill fetch + restore + start %.2f s (with the HashKV "
                            + "and sample comparison, request to verdict %.2f s; agent peak RSS %.0f MB, of it anonymous %.0f MB); REPLACE member "
                            + "%.2f s, whole saga %.2f s%n", round, reference, drill[0], drill[1], drill[2], drill[3], ours[0], ours[1]);
                }
                double reference = median(etcdWay);
                System.out.printf("RESULT drill (fetch from snapshot-service + etcd's restore + scratch etcd start) %.2f s vs etcdctl restore from "
                        + "local disk + start %.2f s: ratio %.2f (goal <= 1.5); request to verdict, comparison included, %.2f s: ratio %.2f; "
                        + "the etcd-agent's peak RSS during the drills %.0f MB, of it anonymous (heap, stacks, buffers; the rest is the "
                        + "snapshot file mapped for the sample) %.0f MB%n", median(drills), reference, median(drills) / reference,
                        median(drillsWhole), median(drillsWhole) / reference, drillPeakRss, drillPeakAnon);
                System.out.printf("RESULT REPLACE member (fetch from snapshot-service + etcd's restore + swap + start) %.2f s vs etcdctl restore "
                        + "from local disk + start %.2f s: ratio %.2f (goal <= 1.3)%n", median(replaces), reference, median(replaces) / reference);
                System.out.printf("RESULT REPLACE whole saga (pause, fetch, replace, verify every key, resume) %.2f s: ratio %.2f%n", median(sagas),
                        median(sagas) / reference);
                restoreRss.close();
                agentRss.close();
                String etcdWayText = String.format(Locale.ROOT, "etcdctl restore + start %.2f s", reference);
                BenchTable.row("P4 REPLACE of one member, " + Math.round(snapshot.path("rawSize").asLong() / 1e6) + " MB (fetch, restore, swap, start)",
                        String.format(Locale.ROOT, "%.2f s", median(replaces)), etcdWayText, median(replaces) / reference, "<= 1.3",
                        median(replaces) / reference <= 1.3);
                BenchTable.row("restore drill (fetch, restore, scratch etcd start)", String.format(Locale.ROOT, "%.2f s", median(drills)), etcdWayText,
                        median(drills) / reference, "<= 1.5", median(drills) / reference <= 1.5);
                BenchTable.memory("restore-service", "heaviest benchmark", restoreRss.peak(), restoreRss.peakAnon());
                BenchTable.memory("etcd-agent", "heaviest benchmark", agentRss.peak(), agentRss.peakAnon());
            }
        } finally {
            services.forEach(QuarkusService::close);
        }
    }

    /** etcd's own way: restore the local file into a fresh data dir, start etcd on it, wait for /health. */
    private static double etcdctlRestoreAndStart(Path dir, Path local, int round) throws Exception {
        Path data = dir.resolve("reference-" + round);
        int peer = Ports.free();
        int client = Ports.free();
        String peerUrl = "http://127.0.0.1:" + peer;
        String clientUrl = "http://127.0.0.1:" + client;
        long start = System.nanoTime();
        run(dir, "etcdctl", "snapshot", "restore", local.toString(), "--name", "reference", "--data-dir", data.toString(), "--initial-cluster",
                "reference=" + peerUrl, "--initial-cluster-token", "reference-" + round, "--initial-advertise-peer-urls", peerUrl);
        Process etcd = new ProcessBuilder("etcd", "--name", "reference", "--data-dir", data.toString(), "--listen-client-urls", clientUrl,
                "--advertise-client-urls", clientUrl, "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
                "--initial-cluster", "reference=" + peerUrl, "--quota-backend-bytes", Long.toString(8L << 30))
                .redirectErrorStream(true).redirectOutput(dir.resolve("reference-" + round + ".log").toFile()).start();
        try {
            Instant deadline = Instant.now().plusSeconds(120);
            while (Instant.now().isBefore(deadline)) {
                try {
                    HttpResponse<String> health = BenchSupport.http().send(HttpRequest.newBuilder(URI.create(clientUrl + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (health.body().contains("\"true\"")) {
                        return (System.nanoTime() - start) / 1e9;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException("the reference etcd did not become healthy");
        } finally {
            etcd.destroy();
            etcd.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /**
     * POST a drill and wait for its verdict, sampling the agent's resident memory: the drill's fetch + restore + start
     * (as the agent measured them), request to verdict in seconds, and the agent JVM's peak RSS in MB.
     */
    private static double[] drill(String restoreService, String snapshotId, long agentPid) throws Exception {
        JsonNode accepted = BenchSupport.post(restoreService + "/api/v1/drills", "{\"cluster\": \"bench\", \"snapshot\": \"" + snapshotId + "\"}", 202);
        String id = accepted.path("id").asText();
        long start = System.nanoTime();
        long peakKb = 0;
        long peakAnonKb = 0;
        Instant deadline = Instant.now().plusSeconds(600);
        while (Instant.now().isBefore(deadline)) {
            peakKb = Math.max(peakKb, PeakRss.status(agentPid, "VmRSS") >> 10);
            peakAnonKb = Math.max(peakAnonKb, PeakRss.status(agentPid, "RssAnon") >> 10);
            JsonNode view = BenchSupport.get(restoreService + "/api/v1/drills/" + id);
            String state = view.path("state").asText();
            if ("FAILED".equals(state)) {
                throw new IllegalStateException("drill " + id + " failed at " + view.path("stage").asText() + ": " + view.path("reason").asText());
            }
            if ("PASSED".equals(state)) {
                return new double[] {view.path("times").path("recoveryMillis").asLong() / 1e3, (System.nanoTime() - start) / 1e9, peakKb / 1024.0,
                        peakAnonKb / 1024.0};
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("drill " + id + " gave no verdict within 10 minutes");
    }

    /** POST a REPLACE restore and wait for COMPLETED: the RESTORING phase's seconds and the whole saga's. */
    private static double[] replace(String restoreService, String snapshotId) throws Exception {
        JsonNode accepted = BenchSupport.post(restoreService + "/api/v1/restores", "{\"cluster\": \"bench\", \"snapshot\": \"" + snapshotId
                + "\", \"mode\": \"REPLACE\"}", 202);
        String id = accepted.path("id").asText();
        Instant deadline = Instant.now().plusSeconds(600);
        while (Instant.now().isBefore(deadline)) {
            JsonNode view = BenchSupport.get(restoreService + "/api/v1/restores/" + id);
            String phase = view.path("phase").asText();
            if ("FAILED".equals(phase)) {
                throw new IllegalStateException("restore " + id + " failed: " + view.path("error").asText());
            }
            if ("COMPLETED".equals(phase)) {
                JsonNode phases = view.path("phases");
                double restoring = seconds(phases.path("RESTORING").path("startedAt"), phases.path("RESTORING").path("endedAt"));
                double saga = seconds(view.path("createdAt"), phases.path("RESUMING").path("endedAt"));
                return new double[] {restoring, saga};
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("restore " + id + " did not end within 10 minutes");
    }

    private static double seconds(JsonNode from, JsonNode to) {
        return Duration.between(Instant.parse(from.asText()), Instant.parse(to.asText())).toNanos() / 1e9;
    }

    private static JsonNode awaitSnapshot(String snapshotService) throws Exception {
        Instant deadline = Instant.now().plusSeconds(600);
        while (Instant.now().isBefore(deadline)) {
            for (JsonNode snapshot : BenchSupport.get(snapshotService + "/api/v1/snapshots?cluster=bench")) {
                if ("COMPLETED".equals(snapshot.path("phase").asText())) {
                    Thread.sleep(2000); // restore-service learns of it through Kafka
                    return snapshot;
                }
                if ("FAILED".equals(snapshot.path("phase").asText())) {
                    throw new IllegalStateException("the backup failed: " + snapshot.path("reason").asText());
                }
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("no completed backup within 10 minutes");
    }

    /** About 520 MB of 128 KB values with varied text (zstd compresses it as it would real objects, not to nothing). */
    private static void load(String endpoint) throws Exception {
        Random random = new Random(7);
        String[] words = {"pod", "namespace", "deployment", "replicaset", "configmap", "secret", "node", "lease", "event", "service"};
        try (Client client = Client.builder().endpoints(endpoint).build()) {
            KV kv = client.getKVClient();
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            int n = 0;
            for (long written = 0; written < TARGET_BYTES; written += VALUE_BYTES, n++) {
                StringBuilder text = new StringBuilder(VALUE_BYTES);
                while (text.length() < VALUE_BYTES - 40) {
                    text.append(words[random.nextInt(words.length)]).append(random.nextInt(100_000)).append(' ');
                }
                inFlight.add(kv.put(ByteSequence.from("/registry/bench/" + n, StandardCharsets.UTF_8),
                        ByteSequence.from(text.toString(), StandardCharsets.UTF_8)));
                if (inFlight.size() == 32) {
                    CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
                    inFlight.clear();
                }
            }
            CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        }
    }


    private static void run(Path dir, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("commands.log").toFile());
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed; see " + dir.resolve("commands.log"));
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
