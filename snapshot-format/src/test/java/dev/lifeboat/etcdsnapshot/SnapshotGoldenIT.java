package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.lifeboat.stack.EtcdRelease;

/** The golden checks on snapshots of etcd 3.5, and on the db of a restore that bumped the revision. */
class SnapshotGoldenIT extends SnapshotGolden {

    @Override
    EtcdRelease release() {
        return EtcdRelease.V3_5;
    }

    /**
     * {@code etcdutl snapshot restore --bump-revision --mark-compacted} adds an entry without a key-value at the
     * bumped revision. A backup of a cluster restored so holds it: the status counts it as etcdutl does
     * (revision, total), the live keys and values are those of the snapshot before, not one more.
     */
    @Test
    void theDbOfARestoreWithARevisionBumpHoldsTheSameLiveKeys() throws Exception {
        EtcdFixture fixture = EtcdFixture.loaded(EtcdRelease.V3_5);
        Path restored = fixture.snapshot.resolveSibling("bumped-" + System.nanoTime());
        EtcdFixture.run(List.of(EtcdRelease.V3_5.etcdutl().orElseThrow().toString(), "snapshot", "restore", fixture.snapshot.toString(),
                "--data-dir", restored.toString(), "--bump-revision", "1000000", "--mark-compacted"));
        Path db = restored.resolve("member").resolve("snap").resolve("db");
        JsonNode expected = new ObjectMapper().readTree(fixture.status(db.toString()));
        try (EtcdSnapshot before = EtcdSnapshot.open(fixture.snapshot); EtcdSnapshot after = EtcdSnapshot.open(db)) {
            SnapshotStatus original = before.status();
            SnapshotStatus status = after.status();
            assertEquals(original.revision() + 1_000_000, status.revision(), "the bump moved the revision");
            assertEquals(expected.get("revision").asLong(), status.revision(), "revision as etcdutl reports it");
            assertEquals(expected.get("totalKey").asLong(), status.totalKey(), "total entries as etcdutl counts them");
            assertEquals(original.liveKeys(), status.liveKeys(), "the marker is no key");
            Map<String, KeyValue> keys = live(after, "");
            assertEquals(live(before, "").keySet(), keys.keySet());
            assertEquals(original.liveKeys(), keys.size());
        } finally {
            try (var files = Files.walk(restored)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
