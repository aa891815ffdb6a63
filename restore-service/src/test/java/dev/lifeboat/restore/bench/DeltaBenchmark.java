package dev.lifeboat.restore.bench;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.Topics;
import dev.lifeboat.restore.RestoreStackResource;
import dev.lifeboat.restore.state.PointInTimeState;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;

/**
 * {@code make bench-delta}: delta capture under a sustained write load, and replaying its deltas at
 * restore. One etcd member run by an etcd-agent, the scheduler, snapshot-service (make run's JVM
 * options) and restore-service as built; a DELTA policy ({@code @every 1m}, 100 MiB).
 * <ol>
 * <li>≥ 5,000 puts/s (Kubernetes-like keys over 50,000 objects, 256-byte values) for the given seconds
 * (300 by default); every second the capture's received revision is compared with etcd's;</li>
 * <li>capture lag at the end: from the last put's acknowledgement until the capture received its
 * revision (goal &lt; 2 s); snapshot-service's peak RSS during the load (goal ≤ 350 MB);</li>
 * <li>replay, API mode: the full snapshot plus every delta turned into the keyspace at the last revision
 * (restore-service's PointInTimeState, what an API restore writes) — changes/s (goal ≥ 50,000/s);</li>
 * <li>replay, REPLACE: a point-in-time REPLACE restore to the last revision (or the given number of changes
 * after the base), the agent fetching each delta and writing the snapshot at the target from the full
 * snapshot and the deltas (SnapshotReplay) — changes/s as the agent reports them, fetching included.</li>
 * </ol>
 */
public final class DeltaBenchmark {

    private static final int OBJECTS = 50_000;
    private static final int VALUE_BYTES = 256;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "restore-service/target/delta-benchmark").toAbsolutePath();
        Path repo = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 300;
        int rate = args.length > 3 ? Integer.parseInt(args[3]) : 5000;
        long replaceChanges = args.length > 4 ? Long.parseLong(args[4]) : Long.MAX_VALUE;
        String replayDir = args.length > 5 ? args[5] : dir.resolve("replay").toString();
        Dirs.fresh(dir);
        List<QuarkusService> services = new CopyOnWriteArrayList<>();
        try (LocalStack stack = LocalStack.start(StackOptions.forTests(dir.resolve("stack"), Topics.all()))) {
            BenchSupport.useToken(stack.adminToken());
            Path runDir = stack.options().runDir();
            Map<String, String> config = RestoreStackResource.startPeers(stack, services, repo);
            String scheduler = config.get("test.scheduler.url");
            String snapshots = config.get("test.snapshot.url");
            QuarkusService snapshotService = services.stream().filter(s -> s.name().equals("snapshot-service")).findFirst().orElseThrow();
            EtcdCluster.Member member = new EtcdCluster.Member("bench-0", Ports.free(), Ports.free(), dir.resolve("agent").resolve("bench-0"));
            try (EtcdAgents agent = EtcdAgents.start(repo, "bench", EtcdCluster.planned(List.of(member)), stack,
                    snapshots, i -> Ports.free(), m -> Map.of("lifeboat.agent.health-timeout", "120s", "lifeboat.agent.replay-dir",
                            replayDir))) {
                config.put("lifeboat.restore.member-timeout", "60m");
                QuarkusService restore = QuarkusService.startOnFreePort(repo, "restore-service", "restore-service", config, runDir)
                        .awaitReady(Duration.ofSeconds(120));
                services.add(restore);
                BenchSupport.registerCluster(scheduler, "bench", member);
                BenchSupport.post(scheduler + "/api/v1/clusters/bench/policies", "{\"id\": \"deltas\", \"kind\": \"DELTA\", \"schedule\": \"@every 1m\"}", 201);
                awaitCapture(snapshots, view -> "WATCHING".equals(view.path("live").path("state").asText()));
                System.out.println("capture watching; load starts");

                long lastRevision;
                long peakRss;
                long behindMax;
                double achieved;
                try (PeakRss rss = PeakRss.of(snapshotService.pid()); Client client = Client.builder().endpoints(member.clientUrl()).build()) {
                    Load load = new Load(client.getKVClient(), rate);
                    long[] behind = {0};
                    Thread sampler = new Thread(() -> {
                        while (!Thread.currentThread().isInterrupted()) {
                            try {
                                JsonNode live = capture(snapshots).path("live");
                                behind[0] = Math.max(behind[0], load.lastRevision.get() - live.path("receivedRevision").asLong());
                                Thread.sleep(1000);
                            } catch (InterruptedException e) {
                                return;
                            } catch (Exception e) {
                                // one sample less
                            }
                        }
                    }, "lag-sampler");
                    sampler.setDaemon(true);
                    sampler.start();
                    long start = System.nanoTime();
                    long[] rssAt = new long[2];
                    Thread early = new Thread(() -> {
                        try {
                            Thread.sleep(Math.min(30, seconds / 3) * 1000L);
                            rssAt[0] = rss.peak();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, "rss-early");
                    early.setDaemon(true);
                    early.start();
                    load.run(seconds);
                    double took = (System.nanoTime() - start) / 1e9;
                    lastRevision = load.lastRevision.get();
                    Instant acked = Instant.now();
                    JsonNode live = awaitCapture(snapshots, view -> view.path("live").path("receivedRevision").asLong() >= load.lastRevision.get());
                    double lag = Duration.between(acked, Instant.now()).toNanos() / 1e9;
                    sampler.interrupt();
                    peakRss = rss.peak();
                    behindMax = behind[0];
                    achieved = load.puts.get() / took;
                    System.out.printf(Locale.ROOT, "load: %d puts in %.1f s = %.0f puts/s; last revision %d; the capture was at most %d revisions "
                            + "behind (%.2f s at this rate)%n", load.puts.get(), took, achieved, lastRevision, behindMax, behindMax / achieved);
                    System.out.printf(Locale.ROOT, "RESULT capture lag at the end: %.3f s (goal < 2 s: ratio %.2f) at %.0f puts/s (goal >= 5,000)%n", lag,
                            lag / 2, achieved);
                    System.out.printf(Locale.ROOT, "RESULT snapshot-service peak RSS during the load: %d MB (goal <= 350 MB: ratio %.2f), %d MB after "
                            + "the first %d s of it (make run's JVM options: %s); capture state %s%n", peakRss >> 20, (peakRss >> 20) / 350.0,
                            rssAt[0] >> 20, Math.min(30, seconds / 3), String.join(" ", QuarkusService.JVM_OPTIONS),
                            live.path("live").path("state").asText());
                    BenchTable.row(String.format(Locale.ROOT, "delta capture lag after %d s at %.0f puts/s", seconds, achieved),
                            String.format(Locale.ROOT, "%.3f s", lag), "goal 2 s", lag / 2, "< 2 s", lag < 2);
                    BenchTable.memory("snapshot-service", "delta capture at 5,000 puts/s", peakRss);
                }

                List<JsonNode> deltas = awaitDeltas(snapshots, lastRevision);
                long stored = deltas.stream().mapToLong(d -> d.path("storedSize").asLong()).sum();
                long raw = deltas.stream().mapToLong(d -> d.path("rawSize").asLong()).sum();
                long events = deltas.stream().mapToLong(d -> d.path("events").asLong()).sum();
                String base = deltas.get(0).path("baseSnapshotId").asText();
                System.out.printf(Locale.ROOT, "deltas: %d of chain %s, %d changes, %.1f MB plain, %.1f MB stored (zstd)%n", deltas.size(),
                        deltas.get(0).path("chainId").asText(), events, raw / 1e6, stored / 1e6);

                Path full = download(snapshots, base, dir.resolve("base.db"));
                List<Path> files = new ArrayList<>();
                for (JsonNode delta : deltas) {
                    files.add(download(snapshots, delta.path("id").asText(), dir.resolve(delta.path("id").asText() + ".delta")));
                }
                long begin = System.nanoTime();
                long live;
                long applied;
                try (PointInTimeState state = new PointInTimeState(full, files, lastRevision, null)) {
                    long[] count = {0};
                    state.forEachLive(new byte[0], entry -> count[0]++);
                    live = count[0];
                    applied = state.changes();
                }
                double replay = (System.nanoTime() - begin) / 1e9;
                System.out.printf(Locale.ROOT, "RESULT replay, API mode (snapshot + %d changes -> keyspace of revision %d, %d live keys): %.2f s = "
                        + "%.0f changes/s (goal >= 50,000: ratio %.2f)%n", applied, lastRevision, live, replay, applied / replay, applied / replay / 50_000);
                BenchTable.row("point-in-time replay, API mode (" + applied + " changes)", String.format(Locale.ROOT, "%.0f changes/s", applied / replay),
                        "goal 50,000 changes/s", applied / replay / 50_000, ">= 50,000/s (ratio >= 1)", applied / replay >= 50_000);

                long baseRevision = deltas.get(0).path("firstRevision").asLong() - 1;
                long target = replaceChanges >= lastRevision - baseRevision ? lastRevision : baseRevision + replaceChanges;
                JsonNode accepted = BenchSupport.post(restore.url() + "/api/v1/restores", "{\"cluster\": \"bench\", \"toRevision\": " + target
                        + ", \"mode\": \"REPLACE\"}", 202);
                JsonNode done = awaitRestore(restore.url(), accepted.path("id").asText());
                String note = done.path("members").path(0).path("note").asText();
                System.out.println("REPLACE to revision " + target + ": " + note);
                java.util.regex.Matcher figures = java.util.regex.Pattern.compile("replayed (\\d+) revisions \\((\\d+) changes\\).* in ([0-9.]+) s")
                        .matcher(note);
                if (figures.find()) {
                    double changesPerSecond = Long.parseLong(figures.group(2)) / Double.parseDouble(figures.group(3));
                    System.out.printf(Locale.ROOT, "RESULT replay, REPLACE (deltas fetched and written into the snapshot at the target): %s changes in %s s = %.0f "
                            + "changes/s (goal >= 50,000: ratio %.2f); member at revision %d%n", figures.group(2), figures.group(3), changesPerSecond,
                            changesPerSecond / 50_000, done.path("members").path(0).path("revision").asLong());
                }
            }
        } finally {
            services.forEach(QuarkusService::close);
        }
    }

    /** Puts at a steady rate with many in flight; remembers the highest revision etcd acknowledged. */
    private static final class Load {
        private final KV kv;
        private final int rate;
        private final AtomicLong lastRevision = new AtomicLong();
        private final AtomicLong puts = new AtomicLong();
        private final Semaphore inFlight = new Semaphore(512);

        Load(KV kv, int rate) {
            this.kv = kv;
            this.rate = rate;
        }

        void run(int seconds) throws Exception {
            Random random = new Random(11);
            String[] words = {"pod", "namespace", "deployment", "replicaset", "configmap", "secret", "node", "lease", "event", "service"};
            long start = System.nanoTime();
            long total = (long) seconds * rate;
            for (long i = 0; i < total; i++) {
                long due = start + i * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                StringBuilder value = new StringBuilder(VALUE_BYTES);
                while (value.length() < VALUE_BYTES) {
                    value.append(words[random.nextInt(words.length)]).append(random.nextInt(100_000)).append(' ');
                }
                int object = random.nextInt(OBJECTS);
                String key = "/registry/pods/ns-" + (object % 100) + "/pod-" + object;
                inFlight.acquire();
                kv.put(ByteSequence.from(key, StandardCharsets.UTF_8), ByteSequence.from(value.substring(0, VALUE_BYTES), StandardCharsets.UTF_8))
                        .whenComplete((response, failure) -> {
                            inFlight.release();
                            if (failure == null) {
                                puts.incrementAndGet();
                                lastRevision.accumulateAndGet(response.getHeader().getRevision(), Math::max);
                            }
                        });
            }
            inFlight.acquire(512);
            inFlight.release(512);
        }
    }

    private static JsonNode capture(String snapshots) throws Exception {
        return BenchSupport.get(snapshots + "/api/v1/clusters/bench/delta-capture");
    }

    private static JsonNode awaitCapture(String snapshots, java.util.function.Predicate<JsonNode> condition) throws Exception {
        Instant deadline = Instant.now().plusSeconds(300);
        while (Instant.now().isBefore(deadline)) {
            JsonNode view = capture(snapshots);
            if (condition.test(view)) {
                return view;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("the capture did not get there: " + capture(snapshots));
    }

    /** The deltas of the chain, oldest first, once they reach {@code revision}. */
    private static List<JsonNode> awaitDeltas(String snapshots, long revision) throws Exception {
        Instant deadline = Instant.now().plusSeconds(180);
        while (Instant.now().isBefore(deadline)) {
            List<JsonNode> deltas = new ArrayList<>();
            BenchSupport.get(snapshots + "/api/v1/snapshots?cluster=bench&kind=DELTA&limit=1000").forEach(deltas::add);
            deltas.sort(Comparator.comparingLong(d -> d.path("firstRevision").asLong()));
            if (!deltas.isEmpty() && deltas.get(deltas.size() - 1).path("revision").asLong() >= revision) {
                Thread.sleep(2000); // restore-service learns of them through Kafka
                return deltas;
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("the deltas did not reach revision " + revision);
    }

    private static JsonNode awaitRestore(String restoreService, String id) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(60));
        while (Instant.now().isBefore(deadline)) {
            JsonNode view = BenchSupport.get(restoreService + "/api/v1/restores/" + id);
            if ("COMPLETED".equals(view.path("phase").asText())) {
                return view;
            }
            if ("FAILED".equals(view.path("phase").asText())) {
                throw new IllegalStateException("restore " + id + " failed: " + view.path("error").asText());
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException("restore " + id + " did not end within an hour");
    }

    private static Path download(String snapshots, String id, Path file) throws Exception {
        HttpResponse<InputStream> response = BenchSupport.http().send(BenchSupport.request(snapshots + "/api/v1/snapshots/" + id + "/content").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            Files.copy(body, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
