package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.HttpProbe;
import dev.lifeboat.stack.ManagedProcess;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;

/**
 * A snapshot plus the changes after it, written by {@link SnapshotReplay}, against what etcd itself did:
 * a real etcd takes a snapshot, goes on writing (transactions, overwrites, single and prefix deletes, a
 * key deleted and created again, a new lease, a value larger than a page, thousands of puts for a
 * multi-level tree), and the written file — restored with etcdctl and started as a new etcd — must have
 * etcd's own {@code HashKV} at the target revision (the key bucket's bytes, history and tombstones
 * included), the same keys with the same revisions, versions and leases, the lease with its TTL, and
 * go on counting from the target.
 */
class SnapshotReplayIT {

    private static final Path ROOT = Path.of("target", "snapshot-replay-" + ProcessHandle.current().pid()).toAbsolutePath();
    private static final long NEW_LEASE_TTL = 900;
    /** The release whose tools restore and run the written file (its etcd also writes the history). */
    private static final EtcdRelease RELEASE = EtcdRelease.DEFAULT;
    private static EtcdCluster source;
    private static Client client;
    private static Path base;
    private static long baseRevision;
    private static long middle;
    private static long last;
    private static long newLease;
    private static List<DeltaEvent> changes;

    @BeforeAll
    static void recordHistory() throws Exception {
        source = EtcdCluster.start(StackOptions.forTests(ROOT.resolve("source"), Map.of()).withEtcd(RELEASE, false));
        client = Client.builder().endpoints(source.endpoints()).build();
        KV kv = client.getKVClient();
        long oldLease = client.getLeaseClient().grant(3600).get(30, TimeUnit.SECONDS).getID();
        for (int i = 0; i < 200; i++) {
            kv.put(bytes("/registry/pods/p-" + i), bytes("pod " + i), i % 10 == 0 ? PutOption.builder().withLeaseId(oldLease).build() : PutOption.DEFAULT)
                    .get(30, TimeUnit.SECONDS);
        }
        base = ROOT.resolve("base.db");
        etcdctl(source.endpoints(), "snapshot", "save", base.toString());
        baseRevision = kv.get(bytes("/none")).get(30, TimeUnit.SECONDS).getHeader().getRevision();

        kv.txn().Then(Op.put(bytes("/registry/pods/p-1"), bytes("changed in a txn"), PutOption.DEFAULT),
                Op.put(bytes("/registry/pods/new"), bytes("created in a txn"), PutOption.DEFAULT),
                Op.delete(bytes("/registry/pods/p-2"), DeleteOption.DEFAULT)).commit().get(30, TimeUnit.SECONDS);
        kv.delete(bytes("/registry/pods/p-3")).get(30, TimeUnit.SECONDS);
        kv.put(bytes("/registry/pods/p-3"), bytes("born again")).get(30, TimeUnit.SECONDS);
        kv.delete(bytes("/registry/pods/p-1"), DeleteOption.builder().isPrefix(true).build()).get(30, TimeUnit.SECONDS);
        newLease = client.getLeaseClient().grant(NEW_LEASE_TTL).get(30, TimeUnit.SECONDS).getID();
        for (int i = 0; i < 5; i++) {
            kv.put(bytes("/registry/leases/l-" + i), bytes("held"), PutOption.builder().withLeaseId(newLease).build()).get(30, TimeUnit.SECONDS);
        }
        byte[] big = new byte[300_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 7);
        }
        kv.put(bytes("/registry/big"), ByteSequence.from(big)).get(30, TimeUnit.SECONDS);
        middle = kv.put(bytes("/registry/pods/p-4"), bytes("the middle")).get(30, TimeUnit.SECONDS).getHeader().getRevision();
        for (int batch = 0; batch < 30; batch++) {
            List<Op> puts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                puts.add(Op.put(bytes("/registry/configmaps/cm-" + batch + "-" + i), bytes("x".repeat(i)), PutOption.DEFAULT));
            }
            kv.txn().Then(puts.toArray(new Op[0])).commit().get(30, TimeUnit.SECONDS);
        }
        for (int i = 0; i < 3000; i++) {
            kv.put(bytes("/registry/events/e-" + (i % 700)), bytes("event " + i)).get(30, TimeUnit.SECONDS);
        }
        last = kv.delete(bytes("/registry/pods/p-5")).get(30, TimeUnit.SECONDS).getHeader().getRevision();

        Path after = ROOT.resolve("after.db");
        etcdctl(source.endpoints(), "snapshot", "save", after.toString());
        changes = new ArrayList<>();
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(after)) {
            snapshot.forEachHistory((revision, kv2) -> {
                if (revision.main() > baseRevision) {
                    changes.add(revision.tombstone() ? DeltaEvent.delete(revision.main(), kv2.key(), null, Instant.now())
                            : DeltaEvent.put(revision.main(), kv2.key(), kv2.value(), kv2.createRevision(), kv2.version(), kv2.lease(),
                                    kv2.lease() == newLease ? NEW_LEASE_TTL : 0, Instant.now()));
                }
            });
        }
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (source != null) {
            source.close();
        }
    }

    @Test
    void theWrittenSnapshotIsTheOneEtcdWouldHaveWritten() throws Exception {
        for (long target : new long[] {middle, last}) {
            Path out = ROOT.resolve("replayed-" + target + ".db");
            SnapshotReplay.Result result = SnapshotReplay.write(base, target, changes(), out);
            assertEquals(baseRevision, result.baseRevision());
            assertEquals(target, result.revision());
            assertEquals(target - baseRevision, result.revisions());
            assertEquals(changes.stream().filter(c -> c.revision() <= target).count(), result.changes());
            try (EtcdSnapshot written = EtcdSnapshot.open(out)) {
                assertTrue(written.hasHashTrailer());
                assertEquals(target, written.storeRevision(written.verify()));
            }
            JsonNode status = new ObjectMapper().readTree(etcdctl(null, "snapshot", "status", out.toString(), "-w", "json"));
            assertEquals(target, status.path("revision").asLong(), "etcdctl snapshot status reads the revision");

            try (Restored restored = Restored.start(out, ROOT.resolve("restored-" + target))) {
                try (Client copy = Client.builder().endpoints(restored.url).build()) {
                    long sourceHash = client.getMaintenanceClient().hashKV(source.endpoints(), target).get(30, TimeUnit.SECONDS).getHash();
                    long copyHash = copy.getMaintenanceClient().hashKV(restored.url, target).get(30, TimeUnit.SECONDS).getHash();
                    assertEquals(sourceHash, copyHash, "etcd's HashKV at revision " + target);

                    GetOption all = GetOption.builder().isPrefix(true).build();
                    GetResponse expected = client.getKVClient().get(bytes("/"), GetOption.builder().isPrefix(true).withRevision(target).build())
                            .get(30, TimeUnit.SECONDS);
                    GetResponse actual = copy.getKVClient().get(bytes("/"), all).get(30, TimeUnit.SECONDS);
                    assertEquals(target, actual.getHeader().getRevision());
                    assertEquals(expected.getKvs().size(), actual.getKvs().size());
                    for (int i = 0; i < expected.getKvs().size(); i++) {
                        var want = expected.getKvs().get(i);
                        var got = actual.getKvs().get(i);
                        assertEquals(want.getKey(), got.getKey());
                        assertEquals(want.getValue(), got.getValue(), want.getKey().toString());
                        assertEquals(want.getCreateRevision(), got.getCreateRevision(), want.getKey().toString());
                        assertEquals(want.getModRevision(), got.getModRevision(), want.getKey().toString());
                        assertEquals(want.getVersion(), got.getVersion(), want.getKey().toString());
                        assertEquals(want.getLease(), got.getLease(), want.getKey().toString());
                    }
                    assertEquals(1, copy.getKVClient().get(bytes("/registry/pods/p-3")).get(30, TimeUnit.SECONDS).getKvs().get(0).getVersion(),
                            "a key deleted and created again starts again at version 1");

                    LeaseTimeToLiveResponse lease = copy.getLeaseClient().timeToLive(newLease, LeaseOption.builder().withAttachedKeys().build())
                            .get(30, TimeUnit.SECONDS);
                    assertEquals(NEW_LEASE_TTL, lease.getGrantedTTL(), "the new lease carries its TTL");
                    assertEquals(5, lease.getKeys().size(), "and holds its keys");

                    long next = copy.getKVClient().put(bytes("/after-restore"), bytes("x")).get(30, TimeUnit.SECONDS).getHeader().getRevision();
                    assertEquals(target + 1, next, "the restored etcd goes on from the target revision");
                }
            }
        }
    }

    @Test
    void theCliReplaysDeltaFilesInChainOrder() throws Exception {
        Path first = ROOT.resolve("first.delta");
        Path second = ROOT.resolve("second.delta");
        try (var out = Files.newOutputStream(first)) {
            DeltaFile.Writer writer = new DeltaFile.Writer(out, new DeltaFile.Header("replay", "chain", baseRevision));
            changes.stream().filter(c -> c.revision() <= middle).forEach(c -> write(writer, c));
            writer.finish();
        }
        try (var out = Files.newOutputStream(second)) {
            DeltaFile.Writer writer = new DeltaFile.Writer(out, new DeltaFile.Header("replay", "chain", middle));
            changes.stream().filter(c -> c.revision() > middle).forEach(c -> write(writer, c));
            writer.finish();
        }
        Path out = ROOT.resolve("cli.db");
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        int code = SnapshotCli.run(new String[] {"replay", base.toString(), Long.toString(last), out.toString(), first.toString(), second.toString()},
                new java.io.PrintStream(printed, true, "UTF-8"), System.err);
        assertEquals(SnapshotCli.OK, code);
        JsonNode result = new ObjectMapper().readTree(printed.toString("UTF-8"));
        assertEquals(last, result.path("revision").asLong());
        assertEquals(changes.size(), result.path("changes").asLong());
        Path reference = ROOT.resolve("reference.db");
        SnapshotReplay.write(base, last, changes(), reference);
        assertEquals(-1L, Files.mismatch(reference, out), "the CLI writes the same file as the API");

        int refused = SnapshotCli.run(new String[] {"replay", base.toString(), Long.toString(last), out.toString(), second.toString()},
                new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true, "UTF-8"), new java.io.PrintStream(printed, true, "UTF-8"));
        assertEquals(SnapshotCli.INVALID, refused, "the second delta alone leaves a hole after the snapshot");
    }

    private static void write(DeltaFile.Writer writer, DeltaEvent change) {
        try {
            writer.write(change);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aHoleInTheChangesIsRefusedAndNoFileIsLeft() {
        List<DeltaEvent> holed = new ArrayList<>(changes);
        long missing = baseRevision + 3;
        holed.removeIf(change -> change.revision() == missing);
        Path out = ROOT.resolve("holed.db");
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> SnapshotReplay.write(base, last, changes(holed), out));
        assertEquals(Problem.BAD_DELTA, e.problem());
        assertEquals("the changes go from revision " + (missing - 1) + " to revision " + (missing + 1) + ": the chain has a gap", e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void changesThatEndBeforeTheTargetAreRefused() {
        Path out = ROOT.resolve("short.db");
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> SnapshotReplay.write(base, last + 10, changes(), out));
        assertEquals("the changes end at revision " + last + ", before the target revision " + (last + 10) + ": they do not cover it",
                e.getMessage());
        assertFalse(Files.exists(out));
        SnapshotFormatException before = assertThrows(SnapshotFormatException.class, () -> SnapshotReplay.write(base, baseRevision - 1, changes(), out));
        assertEquals("the target revision " + (baseRevision - 1) + " is before the snapshot's revision " + baseRevision, before.getMessage());
    }

    private static SnapshotReplay.Changes changes() {
        return changes(changes);
    }

    private static SnapshotReplay.Changes changes(List<DeltaEvent> list) {
        Iterator<DeltaEvent> iterator = list.iterator();
        return () -> iterator.hasNext() ? iterator.next() : null;
    }

    private static ByteSequence bytes(String text) {
        return EtcdFixture.bytes(text);
    }

    private static String etcdctl(String endpoints, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(RELEASE.etcdctl().toString()));
        if (endpoints != null) {
            command.add("--endpoints=" + endpoints);
        }
        command.addAll(List.of(args));
        return EtcdFixture.run(command);
    }

    /** The written snapshot restored with the release's tool (etcdutl on 3.5) and started as a one-member etcd of the release. */
    private static final class Restored implements AutoCloseable {

        final String url;
        private final ManagedProcess etcd;

        private Restored(String url, ManagedProcess etcd) {
            this.url = url;
            this.etcd = etcd;
        }

        static Restored start(Path snapshot, Path dir) throws Exception {
            String url = "http://127.0.0.1:" + Ports.free();
            String peer = "http://127.0.0.1:" + Ports.free();
            Path data = dir.resolve("data");
            Path run = dir.resolve("run");
            ManagedProcess.runToCompletion("restore", List.of(RELEASE.etcdutl().orElse(RELEASE.etcdctl()).toString(), "snapshot", "restore",
                    snapshot.toString(), "--name", "copy",
                    "--data-dir", data.toString(), "--initial-cluster", "copy=" + peer, "--initial-advertise-peer-urls", peer), dir, run, 120);
            ManagedProcess etcd = ManagedProcess.start("etcd", List.of(RELEASE.etcd().toString(), "--name", "copy", "--data-dir", data.toString(),
                    "--listen-client-urls", url, "--advertise-client-urls", url, "--listen-peer-urls", peer,
                    "--initial-advertise-peer-urls", peer, "--initial-cluster", "copy=" + peer), dir, run, Map.of());
            try {
                HttpProbe.await(url + "/health", "\"true\"", Duration.ofSeconds(30), etcd, "the restored etcd");
            } catch (RuntimeException e) {
                etcd.stop();
                throw e;
            }
            return new Restored(url, etcd);
        }

        @Override
        public void close() {
            etcd.stop();
        }
    }
}
