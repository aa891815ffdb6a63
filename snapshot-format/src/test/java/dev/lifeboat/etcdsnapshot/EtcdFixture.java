package dev.lifeboat.etcdsnapshot;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;

/**
 * Real etcd servers for the golden tests (the local stack's etcd launcher), the data written to them,
 * and snapshots taken with etcd's own {@code etcdctl snapshot save}. One loaded server and one empty
 * server per etcd release and test JVM.
 */
final class EtcdFixture {

    private static final Path ROOT = Path.of("target", "etcd-fixture-" + ProcessHandle.current().pid()).toAbsolutePath();
    private static final Map<EtcdRelease, EtcdFixture> LOADED = new EnumMap<>(EtcdRelease.class);
    private static final Map<EtcdRelease, EtcdFixture> EMPTY = new EnumMap<>(EtcdRelease.class);

    final EtcdRelease release;
    final EtcdCluster etcd;
    final Path snapshot;

    private EtcdFixture(EtcdRelease release, String name, boolean load) throws Exception {
        this.release = release;
        etcd = EtcdCluster.start(StackOptions.forTests(ROOT.resolve(release.version()).resolve(name), Map.of()).withEtcd(release, false));
        Runtime.getRuntime().addShutdownHook(new Thread(etcd::close));
        if (load) {
            try (Client client = Client.builder().endpoints(etcd.endpoints()).build()) {
                load(client);
            }
        }
        snapshot = ROOT.resolve(release.version()).resolve(name + ".db");
        etcdctl("snapshot", "save", snapshot.toString());
    }

    /** The loaded server of the default release. */
    static EtcdFixture loaded() throws Exception {
        return loaded(EtcdRelease.DEFAULT);
    }

    static EtcdFixture empty() throws Exception {
        return empty(EtcdRelease.DEFAULT);
    }

    static synchronized EtcdFixture loaded(EtcdRelease release) throws Exception {
        if (!LOADED.containsKey(release)) {
            LOADED.put(release, new EtcdFixture(release, "loaded", true));
        }
        return LOADED.get(release);
    }

    static synchronized EtcdFixture empty(EtcdRelease release) throws Exception {
        if (!EMPTY.containsKey(release)) {
            EMPTY.put(release, new EtcdFixture(release, "empty", false));
        }
        return EMPTY.get(release);
    }

    /**
     * {@code snapshot status -w json} of a snapshot file by the release's own tool: etcdutl where it has one (3.5 deprecates
     * etcdctl's), etcdctl on 3.4.
     */
    String status(String file) throws IOException, InterruptedException {
        Path tool = release.etcdutl().orElse(release.etcdctl());
        return run(List.of(tool.toString(), "snapshot", "status", "-w", "json", file));
    }

    /**
     * Thousands of Kubernetes-like keys over many transactions, overwrites, single and range deletes,
     * leases, values larger than a page (overflow pages), non-ASCII keys.
     */
    private static void load(Client client) throws Exception {
        KV kv = client.getKVClient();
        for (int batch = 0; batch < 40; batch++) {
            List<Op> puts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                int n = batch * 100 + i;
                puts.add(Op.put(bytes("/registry/ns" + (n % 10) + "/configmaps/cm-" + n),
                        bytes("{\"n\":" + n + ",\"data\":\"" + "x".repeat(n % 300) + "\"}"), PutOption.DEFAULT));
            }
            kv.txn().Then(puts.toArray(new Op[0])).commit().get(30, TimeUnit.SECONDS);
        }
        for (int n = 0; n < 4000; n += 7) {
            kv.put(bytes("/registry/ns" + (n % 10) + "/configmaps/cm-" + n), bytes("overwritten-" + n)).get(30, TimeUnit.SECONDS);
        }
        for (int n = 3; n < 4000; n += 13) {
            kv.delete(bytes("/registry/ns" + (n % 10) + "/configmaps/cm-" + n)).get(30, TimeUnit.SECONDS);
        }
        kv.delete(bytes("/registry/ns9/"), DeleteOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS);
        long lease = client.getLeaseClient().grant(3600).get(30, TimeUnit.SECONDS).getID();
        for (int i = 0; i < 20; i++) {
            kv.put(bytes("/registry/leases/holder-" + i), bytes("leased-" + i), PutOption.builder().withLeaseId(lease).build())
                    .get(30, TimeUnit.SECONDS);
        }
        for (int size : new int[] {5_000, 70_000, 900_000}) {
            byte[] big = new byte[size];
            for (int i = 0; i < size; i++) {
                big[i] = (byte) (i * 31 + size);
            }
            kv.put(bytes("/registry/big/" + size), ByteSequence.from(big)).get(30, TimeUnit.SECONDS);
        }
        kv.put(bytes("/registry/ünïcödé/名前/🚀"), bytes("ノード")).get(30, TimeUnit.SECONDS);
        kv.put(bytes("/registry/ns0/configmaps/cm-0"), bytes("last write")).get(30, TimeUnit.SECONDS);
    }

    static ByteSequence bytes(String text) {
        return ByteSequence.from(text, StandardCharsets.UTF_8);
    }

    /** Runs the release's etcdctl (API v3) against this server and returns its standard output. */
    String etcdctl(String... args) throws IOException, InterruptedException {
        return etcdctlAt(release, etcd.endpoints(), args);
    }

    /** Runs a release's etcdctl (API v3) against the etcd at {@code endpoints} and returns its standard output. */
    static String etcdctlAt(EtcdRelease release, String endpoints, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(release.etcdctl().toString(), "--endpoints=" + endpoints));
        command.addAll(List.of(args));
        return run(command);
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("etcdctl", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(output.toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD);
            builder.environment().put("ETCDCTL_API", "3");
            Process process = builder.start();
            if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("etcdctl failed: " + command);
            }
            return Files.readString(output);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
