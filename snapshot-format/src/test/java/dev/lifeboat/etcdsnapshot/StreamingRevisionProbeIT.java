package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.StackOptions;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;

/** The revision learned from the stream equals the one read from the file, whatever the chunking. */
class StreamingRevisionProbeIT {

    @Test
    void agreesWithTheFileReaderOnLoadedAndEmptySnapshots() throws Exception {
        for (Path snapshot : new Path[] {EtcdFixture.loaded().snapshot, EtcdFixture.empty().snapshot}) {
            assertProbeAgreesWithTheFile(snapshot);
        }
        try (EtcdSnapshot loaded = EtcdSnapshot.open(EtcdFixture.loaded().snapshot)) {
            assertTrue(loaded.status().revision() > 900, "many revisions: " + loaded.status().revision());
        }
    }

    /**
     * The newest revisions hold values of hundreds of KB, so the key bucket's rightmost leaves have overflow
     * pages — which the probe lets stream past, keeping only their keys — and a compaction has stored
     * finishedCompactRev.
     */
    @ParameterizedTest
    @EnumSource(EtcdRelease.class)
    void findsTheRevisionInLeavesWithOverflowWithoutTheirValues(EtcdRelease release) throws Exception {
        Path dir = Path.of("target", "probe-overflow-" + ProcessHandle.current().pid(), release.version()).toAbsolutePath();
        try (EtcdCluster etcd = EtcdCluster.start(StackOptions.forTests(dir, Map.of()).withEtcd(release, false));
                Client client = Client.builder().endpoints(etcd.endpoints()).build()) {
            KV kv = client.getKVClient();
            for (int i = 0; i < 300; i++) {
                kv.put(EtcdFixture.bytes("/registry/pods/p-" + i), EtcdFixture.bytes("{\"i\":" + i + "}")).get(30, TimeUnit.SECONDS);
            }
            long compactAt = kv.get(EtcdFixture.bytes("/registry/pods/p-0")).get(30, TimeUnit.SECONDS).getHeader().getRevision();
            kv.compact(compactAt).get(30, TimeUnit.SECONDS);
            long last = 0;
            for (int size : new int[] {40_000, 300_000, 1_200_000}) {
                byte[] big = new byte[size];
                for (int i = 0; i < size; i++) {
                    big[i] = (byte) (i * 7 + size);
                }
                last = kv.put(EtcdFixture.bytes("/registry/configmaps/big-" + size), ByteSequence.from(big)).get(30, TimeUnit.SECONDS)
                        .getHeader().getRevision();
            }
            Path snapshot = save(etcd, dir.resolve("overflow.db"));
            assertEquals(last, assertProbeAgreesWithTheFile(snapshot), "the revision of the last put");
            try (EtcdSnapshot file = EtcdSnapshot.open(snapshot)) {
                assertEquals(compactAt, file.compactRevision(), "finishedCompactRev, read big-endian");
            }

            // the newest change a deletion, compacted away with its tombstone: the store's revision is the compaction's
            long deleted = kv.delete(EtcdFixture.bytes("/registry/configmaps/big-1200000")).get(30, TimeUnit.SECONDS).getHeader()
                    .getRevision();
            kv.compact(deleted).get(30, TimeUnit.SECONDS);
            Path compacted = save(etcd, dir.resolve("compacted.db"));
            assertEquals(deleted, assertProbeAgreesWithTheFile(compacted), "the compaction's revision, beyond every key left");
            try (EtcdSnapshot file = EtcdSnapshot.open(compacted)) {
                // 3.4 drops the tombstone at the compaction revision; 3.5 keeps it. The store's revision is the compaction's either way.
                if (etcd.release() == EtcdRelease.V3_4) {
                    assertTrue(file.status().revision() < deleted, "the deletion's tombstone is gone: " + file.status().revision());
                } else {
                    assertEquals(deleted, file.status().revision(), "3.5 keeps the tombstone at the compaction revision");
                }
            }
        }
    }

    private static Path save(EtcdCluster etcd, Path snapshot) throws Exception {
        EtcdFixture.etcdctlAt(etcd.release(), etcd.endpoints(), "snapshot", "save", snapshot.toString());
        return snapshot;
    }

    /** Streams the snapshot through the probe in chunks of several sizes; returns the revision they all agree on. */
    private static long assertProbeAgreesWithTheFile(Path snapshot) throws Exception {
        long expected;
        try (EtcdSnapshot file = EtcdSnapshot.open(snapshot)) {
            expected = file.storeRevision(file.status());
        }
        byte[] bytes = Files.readAllBytes(snapshot);
        for (int chunk : new int[] {1000, 4096, 65536, 1 << 20}) {
            HashTrailer trailer = new HashTrailer(new StreamingRevisionProbe());
            for (int offset = 0; offset < bytes.length; offset += chunk) {
                trailer.update(bytes, offset, Math.min(chunk, bytes.length - offset));
            }
            assertEquals(expected, trailer.finish().revision(), snapshot + " in chunks of " + chunk);
        }
        return expected;
    }
}
