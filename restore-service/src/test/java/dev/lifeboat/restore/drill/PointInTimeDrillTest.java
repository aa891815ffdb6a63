package dev.lifeboat.restore.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import dev.lifeboat.restore.saga.RestoreRefusedException;

/** Which point a point-in-time drill checks: the rule on catalog rows, without servers. */
class PointInTimeDrillTest {

    private static final Instant T0 = Instant.parse("2026-12-06T00:00:00Z");

    @Test
    void theNewestFingerprintedDeltaEndAtOrBeforeTheTargetIsComparedAfterEveryDeltaBeforeIt() {
        List<SnapshotRecord> rows = new ArrayList<>();
        rows.add(full("f1", 100, "c1"));
        rows.add(delta("d1", "c1", "f1", 101, 150, 1, 11L));
        rows.add(delta("d2", "c1", "f1", 151, 200, 2, null));
        rows.add(delta("d3", "c1", "f1", 201, 260, 3, 33L));
        rows.add(delta("d4", "c1", "f1", 261, 300, 4, 44L));

        Drills.Target target = Drills.pointInTime("prod", rows, 280);
        assertEquals("f1", target.snapshot().id);
        assertEquals(List.of("d1", "d2", "d3"), target.deltaIds(), "every delta up to the point, none after");
        assertEquals(260, target.revision());
        assertEquals(33L, target.expected().hash());

        Drills.Target exact = Drills.pointInTime("prod", rows, 300);
        assertEquals(List.of("d1", "d2", "d3", "d4"), exact.deltaIds());
        assertEquals(300, exact.revision());

        Drills.Target unhashedEnd = Drills.pointInTime("prod", rows, 220);
        assertEquals(150, unhashedEnd.revision(), "d2 has no fingerprint: the drill compares at d1's end");
        assertEquals(List.of("d1"), unhashedEnd.deltaIds());
    }

    @Test
    void noPointToCheckIsRefusedNamingWhatIsMissing() {
        List<SnapshotRecord> rows = List.of(full("f1", 100, "c1"), delta("d1", "c1", "f1", 101, 150, 1, null));
        RestoreRefusedException refused = assertThrows(RestoreRefusedException.class, () -> Drills.pointInTime("prod", rows, 150));
        assertEquals(400, refused.status());
        assertEquals("toRevision", refused.field());
        assertTrue(refused.getMessage().contains("no point at or before revision 150") && refused.getMessage().contains("fingerprint-every"),
                refused.getMessage());

        // a fingerprinted delta whose chain lost its full snapshot cannot be reached
        List<SnapshotRecord> orphan = List.of(delta("d9", "c2", "gone", 401, 450, 1, 9L));
        refused = assertThrows(RestoreRefusedException.class, () -> Drills.pointInTime("prod", orphan, 500));
        assertTrue(refused.getMessage().contains("no full snapshot and unbroken deltas lead to one"), refused.getMessage());
    }

    private static SnapshotRecord full(String id, long revision, String chain) {
        SnapshotRecord row = new SnapshotRecord();
        row.id = id;
        row.clusterId = "prod";
        row.kind = SnapshotKind.FULL;
        row.revision = revision;
        row.chainId = chain;
        row.startedAt = T0;
        row.completedAt = T0.plusSeconds(1);
        return row;
    }

    private static SnapshotRecord delta(String id, String chain, String base, long first, long last, int minute, Long hash) {
        SnapshotRecord row = new SnapshotRecord();
        row.id = id;
        row.clusterId = "prod";
        row.kind = SnapshotKind.DELTA;
        row.chainId = chain;
        row.baseSnapshotId = base;
        row.firstRevision = first;
        row.revision = last;
        row.firstEventAt = T0.plusSeconds(60L * minute);
        row.lastEventAt = T0.plusSeconds(60L * minute + 30);
        row.completedAt = T0.plusSeconds(60L * minute + 31);
        row.startedAt = row.firstEventAt;
        if (hash != null) {
            row.kvHash = hash;
            row.kvHashCompactRevision = 0L;
            row.keyCount = 10L;
        }
        return row;
    }
}
