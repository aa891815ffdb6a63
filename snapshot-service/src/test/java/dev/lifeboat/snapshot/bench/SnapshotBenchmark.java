package dev.lifeboat.snapshot.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.EventType;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.testing.TestEvents;
import dev.lifeboat.events.testing.TopicProbe;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.PeakRss;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.minio.DownloadObjectArgs;
import io.minio.MinioClient;
import io.minio.UploadObjectArgs;

/**
 * {@code make bench-snapshot-service}: on one local etcd loaded with 520 MB, medians of 3 alternating
 * runs of (a) {@code etcdctl snapshot save} to a file, (b) the upload of the same stored bytes to the same S3
 * (for compression none the saved file, for zstd the object a warm-up snapshot stored), and
 * (c) SnapshotRequested → SnapshotCompleted through snapshot-service (compression none, then zstd);
 * the P1 ratio is (c) / max((a), (b)). For zstd (level: the second argument, default 1 as the service's) it also prints
 * the CPU seconds every process spent on (a), (b) and (c), and the time (c)'s CPU needs at least on this machine's
 * cores: the references each run alone, a backup does their work and compresses on the same cores. Then
 * snapshot-service's peak RSS during snapshots of 520 MB and of 2 GB.
 */
public final class SnapshotBenchmark {

    private static final int RUNS = 3;
    private static final String[] WORDS = ("apiVersion kind metadata name namespace labels annotations spec status "
            + "containers image resources limits requests cpu memory replicas selector template volumes ").split(" ");

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path dir = Dirs.fresh(repo.resolve("snapshot-service/target/snapshot-benchmark"));
        int zstdLevel = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        StackOptions options = StackOptions.forTests(dir.resolve("stack"), Topics.all());
        try (LocalStack stack = LocalStack.start(options)) {
            String etcd = stack.etcd().endpoints();
            String bootstrap = stack.kafka().bootstrapServers();
            System.out.println("loading etcd with 520 MB ...");
            load(etcd, 0, 520L << 20);
            String cluster = "bench";
            TestEvents.publish(bootstrap, "bench", new ClusterRegistered(cluster,
                    new ClusterSpec("bench", List.of(etcd), null, null, null, List.of(), false, false)));
            Path file = dir.resolve("etcdctl-save.db");
            MinioClient minio = MinioClient.builder().endpoint(stack.s3().endpoint()).region("us-east-1")
                    .credentials(stack.s3().accessKey(), stack.s3().secretKey()).build();

            List<Double> save = new ArrayList<>();
            List<Double> upload = new ArrayList<>();
            List<Double> none = new ArrayList<>();
            long peakRss520;
            try (Service service = Service.start(repo, stack, dir, "NONE", zstdLevel)) {
                for (int i = 0; i < RUNS; i++) {
                    save.add(time(() -> run("etcdctl", "--endpoints=" + etcd, "snapshot", "save", file.toString())));
                    upload.add(time(() -> minio.uploadObject(UploadObjectArgs.builder().bucket(StackOptions.BUCKET)
                            .object("bench/etcdctl-save-" + UUID.randomUUID() + ".db").filename(file.toString()).build())));
                    none.add(snapshot(bootstrap, cluster).seconds);
                    System.out.printf("run %d: etcdctl save %.2f s, upload %.2f s, Lifeboat (none) %.2f s%n", i + 1,
                            save.get(i), upload.get(i), none.get(i));
                }
                peakRss520 = service.peakRss();
            }
            List<Double> zstd = new ArrayList<>();
            List<Double> saveZstd = new ArrayList<>();
            List<Double> uploadZstd = new ArrayList<>();
            long storedZstd = 0;
            long raw = 0;
            List<Cpu.Use> cpuSave = new ArrayList<>();
            List<Cpu.Use> cpuUpload = new ArrayList<>();
            List<Cpu.Use> cpuZstd = new ArrayList<>();
            try (Service service = Service.start(repo, stack, dir, "ZSTD", zstdLevel)) {
                Cpu cpu = Cpu.of(options.runDir(), service.pid());
                // The reference upload moves the same stored bytes: the object a warm-up snapshot stored.
                SnapshotCompleted warmUp = snapshot(bootstrap, cluster).completed;
                Path stored = dir.resolve("stored.db.zst");
                Files.deleteIfExists(stored);
                minio.downloadObject(DownloadObjectArgs.builder().bucket(warmUp.bucket()).object(warmUp.objectKey()).filename(stored.toString())
                        .build());
                for (int i = 0; i < RUNS; i++) {
                    Cpu.Sample before = cpu.sample();
                    saveZstd.add(time(() -> run("etcdctl", "--endpoints=" + etcd, "snapshot", "save", file.toString())));
                    Cpu.Sample saved = cpu.sample();
                    uploadZstd.add(time(() -> minio.uploadObject(UploadObjectArgs.builder().bucket(StackOptions.BUCKET)
                            .object("bench/stored-" + UUID.randomUUID() + ".db.zst").filename(stored.toString()).build())));
                    Cpu.Sample uploaded = cpu.sample();
                    Outcome outcome = snapshot(bootstrap, cluster);
                    Cpu.Sample snapshotted = cpu.sample();
                    cpuSave.add(saved.since(before));
                    cpuUpload.add(uploaded.since(saved));
                    cpuZstd.add(snapshotted.since(uploaded));
                    zstd.add(outcome.seconds);
                    storedZstd = outcome.completed.storedSize();
                    raw = outcome.completed.rawSize();
                    System.out.printf("run %d: etcdctl save %.2f s, upload of %d zstd bytes %.2f s, Lifeboat (zstd) %.2f s, %d → %d bytes%n",
                            i + 1, saveZstd.get(i), Files.size(stored), uploadZstd.get(i), zstd.get(i), raw, storedZstd);
                    System.out.printf("  CPU seconds: save %s; upload %s; Lifeboat %s%n", cpuSave.get(i), cpuUpload.get(i), cpuZstd.get(i));
                }
            }
            System.out.println("loading etcd up to 2 GB ...");
            load(etcd, 520L << 20, 2048L << 20);
            long peakRss2g;
            double seconds2g;
            try (Service service = Service.start(repo, stack, dir, "NONE", zstdLevel)) {
                Outcome outcome = snapshot(bootstrap, cluster);
                seconds2g = outcome.seconds;
                peakRss2g = service.peakRss();
                System.out.printf("2 GB snapshot: %.2f s, %d bytes%n", seconds2g, outcome.completed.rawSize());
            }
            double m = median(none);
            System.out.printf(Locale.ROOT, "RESULT Lifeboat (none) / etcdctl snapshot save: %.2f (goal <= 1.1) [%.2f s / %.2f s]%n",
                    m / median(save), m, median(save));
            List<Double> saveAndUpload = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                saveAndUpload.add(save.get(i) + upload.get(i));
            }
            System.out.printf(Locale.ROOT, "RESULT Lifeboat (none) / (etcdctl save + upload): %.2f (goal <= 0.6) [%.2f s / %.2f s]%n",
                    m / median(saveAndUpload), m, median(saveAndUpload));
            System.out.printf(Locale.ROOT, "RESULT Lifeboat (zstd) / etcdctl snapshot save: %.2f [%.2f s]; stored %d of %d bytes (%.1f%%)%n",
                    median(zstd) / median(saveZstd), median(zstd), storedZstd, raw, 100.0 * storedZstd / raw);
            double slowestNone = Math.max(median(save), median(upload));
            double slowestZstd = Math.max(median(saveZstd), median(uploadZstd));
            System.out.printf(Locale.ROOT, "RESULT P1 (none): Lifeboat / max(etcdctl save, upload): %.2f (goal <= 1.1) [%.2f s / max(%.2f s, %.2f s)]%n",
                    m / slowestNone, m, median(save), median(upload));
            System.out.printf(Locale.ROOT, "RESULT P1 (zstd): Lifeboat / max(etcdctl save, upload of the stored bytes): %.2f (goal <= 1.1) "
                    + "[%.2f s / max(%.2f s, %.2f s)]%n", median(zstd) / slowestZstd, median(zstd), median(saveZstd), median(uploadZstd));
            double cores = Runtime.getRuntime().availableProcessors();
            double cpuFloor = median(cpuZstd.stream().map(Cpu.Use::total).toList()) / cores;
            System.out.printf(Locale.ROOT, "RESULT P1 (zstd level %d), CPU: the snapshot costs etcd, S3Proxy, snapshot-service and the rest %.2f CPU s, "
                    + "at least %.2f s on %.0f cores; Lifeboat / that floor: %.2f [save alone %.2f CPU s, upload alone %.2f CPU s]%n", zstdLevel,
                    cpuFloor * cores, cpuFloor, cores, median(zstd) / cpuFloor, median(cpuSave.stream().map(Cpu.Use::total).toList()),
                    median(cpuUpload.stream().map(Cpu.Use::total).toList()));
            System.out.printf(Locale.ROOT, "RESULT snapshot-service peak RSS: %d MB during 520 MB snapshots, %d MB during a 2 GB snapshot (goal <= 350 MB, flat)%n",
                    peakRss520 >> 20, peakRss2g >> 20);
            BenchTable.row("P1 backup, compression none: request to SnapshotCompleted, 520 MB", seconds(m),
                    "max(etcdctl save " + seconds(median(save)) + ", upload " + seconds(median(upload)) + ")", m / slowestNone, "<= 1.1",
                    m / slowestNone <= 1.1);
            BenchTable.row("P1 backup, zstd", seconds(median(zstd)), "max(etcdctl save " + seconds(median(saveZstd)) + ", upload "
                    + seconds(median(uploadZstd)) + ")", median(zstd) / slowestZstd, "<= 1.1", median(zstd) / slowestZstd <= 1.1);
            BenchTable.row("snapshot-service peak RSS during a 2 GB snapshot", (peakRss2g >> 20) + " MB", "goal 350 MB", (peakRss2g >> 20) / 350.0,
                    "<= 350 MB", (peakRss2g >> 20) <= 350);
            BenchTable.memory("snapshot-service", "heaviest benchmark", Math.max(peakRss520, peakRss2g));
        }
    }

    private static String seconds(double value) {
        return String.format(Locale.ROOT, "%.2f s", value);
    }

    private record Outcome(double seconds, SnapshotCompleted completed) {
    }

    private static Outcome snapshot(String bootstrap, String cluster) {
        String requestId = "bench-" + UUID.randomUUID();
        Instant start = Instant.now();
        TestEvents.publish(bootstrap, "bench", new SnapshotRequested(requestId, cluster, SnapshotKind.FULL, "bench", null, Instant.now()));
        var records = TopicProbe.await(bootstrap, Topics.SNAPSHOT_EVENTS, r -> EventType.SNAPSHOT_COMPLETED.ceType()
                .equals(TopicProbe.header(r, EventCodec.H_TYPE)) && new String(r.value(), StandardCharsets.UTF_8).contains(requestId),
                1, Duration.ofMinutes(10));
        if (records.isEmpty()) {
            throw new IllegalStateException("no SnapshotCompleted for " + requestId);
        }
        // From publishing the request to the completion time the event carries (ce_time): what reading
        // the topic afterwards costs the benchmark is not counted.
        double seconds = Duration.between(start, Instant.parse(TopicProbe.header(records.get(0), EventCodec.H_TIME))).toMillis() / 1e3;
        return new Outcome(seconds, (SnapshotCompleted) EventCodec.decode(records.get(0)).payload());
    }

    /** Kubernetes-like text values of 256 KB: compressible as real objects are, unique per key. */
    private static void load(String endpoints, long from, long to) throws Exception {
        Random random = new Random(from);
        try (Client client = Client.builder().endpoints(endpoints).build()) {
            KV kv = client.getKVClient();
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            long n = from / (256 << 10);
            for (long written = from; written < to; written += 256 << 10, n++) {
                StringBuilder text = new StringBuilder(256 << 10);
                while (text.length() < (256 << 10) - 40) {
                    text.append(WORDS[random.nextInt(WORDS.length)]).append(random.nextInt(100000)).append(' ');
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

    /** snapshot-service as built, in its own JVM with make run's options, with its RSS sampled. */
    private static final class Service implements AutoCloseable {
        private final QuarkusService service;
        private final PeakRss rss;

        private Service(QuarkusService service) {
            this.service = service;
            this.rss = PeakRss.of(service.pid());
        }

        static Service start(Path repo, LocalStack stack, Path dir, String compression, int zstdLevel) {
            Map<String, String> config = new HashMap<>(stack.quarkusConfig());
            config.put("lifeboat.snapshots.compression", compression);
            config.put("lifeboat.snapshots.zstd-level", Integer.toString(zstdLevel));
            return new Service(QuarkusService.startOnFreePort(repo, "snapshot-service", "snapshot-service-" + compression.toLowerCase(Locale.ROOT),
                    config, dir.resolve("run")).awaitReady(Duration.ofSeconds(120)));
        }

        long peakRss() {
            return rss.peak();
        }

        long pid() {
            return service.pid();
        }

        @Override
        public void close() {
            rss.close();
            service.close();
        }
    }

    /**
     * CPU time of the processes on this machine that a measurement moves: the stack's servers (pid files in its run
     * directory: etcd, S3Proxy, Kafka, PostgreSQL), snapshot-service, and this JVM with the children it waited for
     * (etcdctl). From {@code /proc/<pid>/stat}: utime + stime (+ cutime + cstime for this JVM), in clock ticks of 1/100 s.
     */
    private record Cpu(Map<String, Long> pids) {

        static Cpu of(Path runDir, long servicePid) throws IOException {
            Map<String, Long> pids = new java.util.TreeMap<>();
            try (var files = Files.list(runDir)) {
                for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
                    pids.put(file.getFileName().toString().replace(".pid", ""), Long.parseLong(Files.readString(file).trim()));
                }
            }
            pids.put("snapshot-service", servicePid);
            pids.put("bench+etcdctl", ProcessHandle.current().pid());
            return new Cpu(pids);
        }

        Sample sample() throws IOException {
            Map<String, Double> seconds = new java.util.TreeMap<>();
            for (Map.Entry<String, Long> pid : pids.entrySet()) {
                String stat = Files.readString(Path.of("/proc", pid.getValue().toString(), "stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields[0] is the state (field 3 of stat); utime, stime, cutime, cstime are fields 14-17
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                if (pid.getValue() == ProcessHandle.current().pid()) {
                    ticks += Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
                }
                seconds.put(pid.getKey(), ticks / 100.0);
            }
            return new Sample(seconds);
        }

        record Sample(Map<String, Double> seconds) {
            Use since(Sample before) {
                Map<String, Double> used = new java.util.TreeMap<>();
                seconds.forEach((name, value) -> used.put(name, value - before.seconds.getOrDefault(name, 0.0)));
                return new Use(used);
            }
        }

        record Use(Map<String, Double> seconds) {
            double total() {
                return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
            }

            @Override
            public String toString() {
                StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%.2f (", total()));
                seconds.forEach((name, value) -> text.append(String.format(Locale.ROOT, "%s %.2f, ", name, value)));
                return text.substring(0, text.length() - 2) + ")";
            }
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double time(Work work) throws Exception {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static void run(String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("ETCDCTL_API", "3");
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            throw new IllegalStateException("failed: " + String.join(" ", command));
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
