package dev.lifeboat.etcdsnapshot.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.SnapshotStatus;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

/**
 * {@code make bench-snapshot-format}: loads a local etcd with more than 1 GB, saves a snapshot with
 * etcdctl, then times {@code etcdctl snapshot status} and our {@code status} (in a JVM limited to a
 * 64 MB heap) alternately, and prints the median ratio and our peak heap.
 *
 * <p>With {@code --measure FILE} it is the measured side: prints {@code millis peakHeapBytes}.
 */
public final class StatusBenchmark {

    private static final int RUNS = 3;

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("--measure")) {
            measure(Path.of(args[1]));
            return;
        }
        Path dir = Path.of(args.length > 0 ? args[0] : "target/status-benchmark").toAbsolutePath();
        long targetBytes = args.length > 1 ? Long.parseLong(args[1]) : 1100L << 20;
        Path snapshot = dir.resolve("snapshot.db");
        try (EtcdCluster etcd = EtcdCluster.start(StackOptions.forTests(dir.resolve("stack"), Map.of()))) {
            load(etcd.endpoints(), targetBytes);
            Files.deleteIfExists(snapshot);
            run(List.of(etcd.release().etcdctl().toString(), "--endpoints=" + etcd.endpoints(), "snapshot", "save", snapshot.toString()));
        }
        System.out.printf("snapshot: %s, %.1f MB%n", snapshot, Files.size(snapshot) / 1e6);
        List<Double> ratios = new ArrayList<>();
        List<Double> oursMillis = new ArrayList<>();
        List<Double> etcdctlMillis = new ArrayList<>();
        long peakHeap = 0;
        for (int i = 0; i < RUNS; i++) {
            long t0 = System.nanoTime();
            run(List.of("etcdctl", "snapshot", "status", "-w", "json", snapshot.toString()));
            double etcdctl = (System.nanoTime() - t0) / 1e6;
            long t1 = System.nanoTime();
            String[] measured = run(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                    "-cp", System.getProperty("java.class.path"), StatusBenchmark.class.getName(), "--measure",
                    snapshot.toString())).trim().split(" ");
            double ours = (System.nanoTime() - t1) / 1e6;
            peakHeap = Math.max(peakHeap, Long.parseLong(measured[1]));
            ratios.add(ours / etcdctl);
            oursMillis.add(ours);
            etcdctlMillis.add(etcdctl);
            System.out.printf("run %d: etcdctl snapshot status %.0f ms, snapshot-format status %.0f ms (JVM start included; %s ms in status)%n",
                    i + 1, etcdctl, ours, measured[0]);
        }
        Collections.sort(ratios);
        System.out.printf("RESULT status time ratio (snapshot-format / etcdctl, median of %d): %.2f (goal <= 2.0)%n", RUNS,
                ratios.get(RUNS / 2));
        System.out.printf("RESULT peak heap of snapshot-format status: %.1f MB (goal < 64 MB; JVM run with -Xmx64m)%n",
                peakHeap / 1048576.0);
        Collections.sort(oursMillis);
        Collections.sort(etcdctlMillis);
        BenchTable.row(String.format(Locale.ROOT, "snapshot status of a %.1f GB snapshot (JVM start included)", Files.size(snapshot) / 1e9),
                String.format(Locale.ROOT, "%.0f ms", oursMillis.get(RUNS / 2)), String.format(Locale.ROOT, "etcdctl %.0f ms", etcdctlMillis.get(RUNS / 2)),
                ratios.get(RUNS / 2), "<= 2.0", ratios.get(RUNS / 2) <= 2.0);
        BenchTable.row("snapshot status: peak heap", String.format(Locale.ROOT, "%.1f MB", peakHeap / 1048576.0), "goal 64 MB",
                peakHeap / 1048576.0 / 64, "< 64 MB", peakHeap < 64L << 20);
    }

    private static void measure(Path snapshot) {
        long start = System.nanoTime();
        SnapshotStatus status;
        try (EtcdSnapshot file = EtcdSnapshot.open(snapshot)) {
            status = file.status();
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        if (status.totalKey() == 0) {
            throw new IllegalStateException("empty snapshot");
        }
        System.out.println(millis + " " + peak);
    }

    /** 100,000 small Kubernetes-like keys, then 512 KB values until the target size is reached. */
    private static void load(String endpoints, long targetBytes) throws Exception {
        try (Client client = Client.builder().endpoints(endpoints.split(",")).build()) {
            KV kv = client.getKVClient();
            for (int batch = 0; batch < 1000; batch++) {
                Op[] puts = new Op[100];
                for (int i = 0; i < 100; i++) {
                    int n = batch * 100 + i;
                    puts[i] = Op.put(ByteSequence.from(("/registry/pods/ns" + (n % 50) + "/pod-" + n).getBytes()),
                            ByteSequence.from(("{\"kind\":\"Pod\",\"n\":" + n + "}").getBytes()), PutOption.DEFAULT);
                }
                kv.txn().Then(puts).commit().get(60, TimeUnit.SECONDS);
            }
            Random random = new Random(1);
            byte[] value = new byte[512 * 1024];
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            for (long written = 0, n = 0; written < targetBytes; written += value.length, n++) {
                random.nextBytes(value);
                inFlight.add(kv.put(ByteSequence.from(("/registry/blobs/" + n).getBytes()), ByteSequence.from(value.clone())));
                if (inFlight.size() == 16) {
                    CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
                    inFlight.clear();
                }
            }
            CompletableFuture.allOf(inFlight.toArray(new CompletableFuture[0])).get(120, TimeUnit.SECONDS);
        }
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("bench", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(output.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            builder.environment().put("ETCDCTL_API", "3");
            Process process = builder.start();
            if (!process.waitFor(600, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("failed: " + command);
            }
            return Files.readString(output);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
