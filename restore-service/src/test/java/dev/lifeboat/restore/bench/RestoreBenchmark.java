package dev.lifeboat.restore.bench;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.restore.etcd.EtcdKeyspace;
import dev.lifeboat.restore.state.SnapshotState;
import dev.lifeboat.stack.BenchTable;
import dev.lifeboat.stack.Dirs;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;

/**
 * {@code make bench-restore}: an API-mode restore of a snapshot with 200,000 keys (Kubernetes-like
 * names, 300-byte values) into an empty local etcd, with the service's default transaction limits
 * (128 operations, 1.5 MB, 8 in flight). Prints keys per second and the ratio to the goal of 20,000
 * keys/s; also the time of running it again (every key unchanged: a read-only pass).
 */
public final class RestoreBenchmark {

    private static final int KEYS = 200_000;
    private static final double GOAL = 20_000;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "restore-service/target/restore-benchmark").toAbsolutePath();
        Dirs.fresh(dir);
        Path snapshot = dir.resolve("source.db");
        try (EtcdCluster source = EtcdCluster.start(StackOptions.forTests(dir.resolve("source"), Map.of()))) {
            fill(source.endpoints());
            try (Client client = Client.builder().endpoints(source.endpoints().split(",")).build();
                    OutputStream out = Files.newOutputStream(snapshot)) {
                client.getMaintenanceClient().snapshot(out).get(10, TimeUnit.MINUTES);
            }
        }
        System.out.printf("snapshot: %d keys, %.1f MB%n", KEYS, Files.size(snapshot) / 1e6);
        EtcdKeyspace keyspace = new EtcdKeyspace(128, 1_500_000, 8);
        List<Double> rates = new ArrayList<>();
        for (int round = 1; round <= 3; round++) {
            try (EtcdCluster target = EtcdCluster.start(StackOptions.forTests(dir.resolve("target-" + round), Map.of()));
                    SnapshotState state = new SnapshotState(snapshot)) {
                ClusterSpec spec = new ClusterSpec("bench", List.of(target.endpoints().split(",")), null, null, null, List.of(), false, false);
                long start = System.nanoTime();
                EtcdKeyspace.Outcome outcome = keyspace.restore("bench", spec, state, new byte[0], false, false, (done, total) -> { });
                double seconds = (System.nanoTime() - start) / 1e9;
                long again = System.nanoTime();
                EtcdKeyspace.Outcome second = keyspace.restore("bench", spec, state, new byte[0], false, false, (done, total) -> { });
                double againSeconds = (System.nanoTime() - again) / 1e9;
                keyspace.verify("bench", spec, state, new byte[0], true);
                System.out.printf("round %d: %d keys put in %.2f s = %.0f keys/s; again: %d unchanged in %.2f s%n", round, outcome.put(),
                        seconds, outcome.put() / seconds, second.unchanged(), againSeconds);
                System.out.printf("RESULT restore keys/s %.0f, ratio to the goal of 20,000 keys/s: %.2f%n", outcome.put() / seconds,
                        outcome.put() / seconds / GOAL);
                rates.add(outcome.put() / seconds);
            }
        }
        rates.sort(null);
        double median = rates.get(rates.size() / 2);
        BenchTable.row("API restore of " + KEYS + " keys into an empty etcd (median of 3)", String.format(Locale.ROOT, "%.0f keys/s", median),
                "goal 20,000 keys/s", median / GOAL, ">= 20,000 keys/s (ratio >= 1)", median >= GOAL);
    }

    /** 200,000 keys through transactions of 128 puts, 8 in flight. */
    private static void fill(String endpoints) throws Exception {
        try (Client client = Client.builder().endpoints(endpoints.split(",")).build()) {
            List<CompletableFuture<?>> inFlight = new ArrayList<>();
            byte[] value = new byte[300];
            for (int i = 0; i < KEYS; i += 128) {
                List<Op> ops = new ArrayList<>();
                for (int j = i; j < Math.min(KEYS, i + 128); j++) {
                    value[j % 300] = (byte) ('a' + j % 26);
                    ops.add(Op.put(ByteSequence.from("/registry/pods/ns-" + (j % 100) + "/pod-" + j, StandardCharsets.UTF_8),
                            ByteSequence.from(value), PutOption.DEFAULT));
                }
                inFlight.add(client.getKVClient().txn().Then(ops.toArray(Op[]::new)).commit());
                if (inFlight.size() == 8) {
                    inFlight.remove(0).get(1, TimeUnit.MINUTES);
                }
            }
            for (CompletableFuture<?> future : inFlight) {
                future.get(1, TimeUnit.MINUTES);
            }
        }
    }
}
