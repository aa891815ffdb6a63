package dev.lifeboat.restore.saga;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.DeltaGapRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;

/** The refusal and planning rules of a restore and a rollback, without servers. */
class RestoreRulesTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    @Test
    void theRequestAloneBreaksNoRule() {
        RestoreRules.checkShape(request(RestoreMode.API, null, null, null, null, false));
        RestoreRules.checkShape(request(RestoreMode.REPLACE, "latest", null, null, null, false));
        RestoreRules.checkShape(request(RestoreMode.API, null, 40L, null, "other", true));
    }

    @Test
    void aRequestThatBreaksARuleIsRefusedNamingTheField() {
        refused(400, "keyPrefix", () -> RestoreRules.checkShape(new RestoreRequested(null, "prod", null, RestoreMode.REPLACE, "/registry/",
                false, null, false, false, null, null, null)));
        refused(400, "toTime", () -> RestoreRules.checkShape(request(RestoreMode.API, null, 5L, T0, null, false)));
        refused(400, "snapshot", () -> RestoreRules.checkShape(request(RestoreMode.API, "abc", 5L, null, null, false)));
        refused(400, "toRevision", () -> RestoreRules.checkShape(request(RestoreMode.API, null, 0L, null, null, false)));
        RestoreRefusedException cross = refused(400, "targetCluster", () -> RestoreRules.checkShape(request(RestoreMode.API, null, null, null,
                "other", false)));
        assertEquals("restoring a snapshot of cluster 'prod' into cluster 'other' needs allowCrossCluster: true", cross.getMessage());
    }

    @Test
    void theTargetIsTheSnapshotsClusterUnlessNamed() {
        assertEquals("prod", RestoreRules.target(request(RestoreMode.API, null, null, null, null, false)));
        assertEquals("other", RestoreRules.target(request(RestoreMode.API, null, null, null, "other", true)));
    }

    @Test
    void anUnknownOrDeletedClusterIs404AndReplaceNeedsMembers() {
        refused(404, "cluster", () -> RestoreRules.requireCluster(null, "prod", "cluster"));
        ClusterRecord deleted = cluster(List.of());
        deleted.deleted = true;
        refused(404, "targetCluster", () -> RestoreRules.requireCluster(deleted, "prod", "targetCluster"));
        RestoreRules.requireCluster(cluster(List.of()), "prod", "cluster");
        refused(400, "mode", () -> RestoreRules.requireMembers(cluster(List.of())));
        RestoreRules.requireMembers(cluster(List.of(new ClusterSpec.Member("m1", "http://127.0.0.1:2380", "http://127.0.0.1:2379"))));
    }

    @Test
    void theSnapshotMustBeAKnownLiveFullOneOfTheCluster() {
        RestoreRequested latest = request(RestoreMode.API, null, null, null, null, false);
        refused(404, "snapshot", () -> RestoreRules.latest(latest, List.of()));
        SnapshotRecord full = snapshot("s1", "prod", SnapshotKind.FULL, 100);
        assertSame(full, RestoreRules.latest(latest, List.of(full)).snapshot());
        assertNull(RestoreRules.latest(latest, List.of(full)).note());

        RestoreRequested named = request(RestoreMode.API, "s1", null, null, null, false);
        refused(404, "snapshot", () -> RestoreRules.requireSnapshot(named, null));
        SnapshotRecord gone = snapshot("s1", "prod", SnapshotKind.FULL, 100);
        gone.deleted = true;
        refused(400, "snapshot", () -> RestoreRules.requireSnapshot(named, gone));
        RestoreRefusedException delta = refused(400, "snapshot", () -> RestoreRules.requireSnapshot(named, snapshot("s1", "prod",
                SnapshotKind.DELTA, 100)));
        assertEquals("snapshot 's1' is a DELTA snapshot; name a full one", delta.getMessage());
        refused(400, "snapshot", () -> RestoreRules.requireSnapshot(named, snapshot("s1", "staging", SnapshotKind.FULL, 100)));
        RestoreRequested crossAllowed = request(RestoreMode.API, "s1", null, null, null, true);
        SnapshotRecord foreign = snapshot("s1", "staging", SnapshotKind.FULL, 100);
        assertSame(foreign, RestoreRules.requireSnapshot(crossAllowed, foreign));
    }

    @Test
    void latestPassesOverSnapshotsWhoseObjectIsMissingAndSaysSoAndANamedMissingOneIsRefused() {
        RestoreRequested latest = request(RestoreMode.API, null, null, null, null, false);
        SnapshotRecord newest = snapshot("s3", "prod", SnapshotKind.FULL, 300);
        newest.missing = true;
        newest.missingReason = "its object is gone from the bucket";
        SnapshotRecord intact = snapshot("s2", "prod", SnapshotKind.FULL, 200);
        RestoreRules.Choice choice = RestoreRules.latest(latest, List.of(newest, intact));
        assertSame(intact, choice.snapshot());
        assertEquals("latest: restoring snapshot s2, the newest intact one; passed over snapshot s3 (its object is gone from the bucket)",
                choice.note());
        RestoreRefusedException none = refused(404, "snapshot", () -> RestoreRules.latest(latest, List.of(newest)));
        assertEquals("cluster 'prod' has no completed full snapshot whose object is intact: snapshot s3 (its object is gone from the bucket)",
                none.getMessage());

        RestoreRefusedException named = refused(409, "snapshot", () -> RestoreRules.requireSnapshot(request(RestoreMode.API, "s3", null, null,
                null, false), newest));
        assertTrue(named.getMessage().startsWith("snapshot 's3' cannot be restored: its object is gone from the bucket"), named.getMessage());
    }

    @Test
    void aPointInTimeIsPlannedFromTheNewestFullBelowItAndTheDeltasAfter() {
        SnapshotRecord full = snapshot("f1", "prod", SnapshotKind.FULL, 100);
        full.chainId = "c1";
        SnapshotRecord first = delta("d1", "c1", "f1", 101, 150, 1);
        SnapshotRecord second = delta("d2", "c1", "f1", 151, 220, 2);
        RestoreRules.Choice choice = RestoreRules.plan(request(RestoreMode.API, null, 180L, null, null, false), List.of(second, full, first),
                List.of());
        assertSame(full, choice.snapshot());
        assertEquals(List.of("d1", "d2"), choice.plan().deltas().stream().map(d -> d.id()).toList());
        assertEquals(180L, choice.plan().toRevision());
    }

    @Test
    void aTargetNoChainReachesIsRefusedWithTheRecordedGaps() {
        SnapshotRecord full = snapshot("f1", "prod", SnapshotKind.FULL, 100);
        full.chainId = "c1";
        DeltaGapRecord gap = new DeltaGapRecord();
        gap.lastRevision = 150;
        gap.reason = "compacted";
        gap.detectedAt = T0;
        RestoreRefusedException refused = refused(400, "toRevision", () -> RestoreRules.plan(request(RestoreMode.API, null, 500L, null, null,
                false), List.of(full), List.of(gap)));
        assertTrue(refused.getMessage().startsWith("cluster 'prod': "), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("; recorded gaps: after revision 150 (compacted, " + T0 + ")"), refused.getMessage());
    }

    @Test
    void oneRestorePerClusterAtATime() {
        RestoreRules.requireIdle("prod", null);
        RestoreRecord running = restore(RestoreMode.API, RestorePhase.FETCHING, false, null);
        RestoreRefusedException refused = refused(409, "cluster", () -> RestoreRules.requireIdle("prod", running));
        assertEquals("restore r1 of cluster 'prod' is running (phase FETCHING); one restore per cluster at a time", refused.getMessage());
    }

    @Test
    void twoRequestsAtTheSameMomentAreAnsweredLikeOneThatCameLater() {
        RestoreRefusedException raced = RestoreRules.raced("prod");
        assertEquals(409, raced.status());
        assertEquals("cluster", raced.field());
        assertTrue(raced.getMessage().contains("cluster 'prod'") && raced.getMessage().contains("one restore per cluster"), raced.getMessage());
    }

    @Test
    void noRollbackWhileAnotherRestoreOfTheClusterRuns() {
        RestoreRecord finished = restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, null);
        finished.targetCluster = "prod";
        RestoreRecord other = restore(RestoreMode.API, RestorePhase.RESTORING, false, null);
        other.id = "r2";
        RestoreRefusedException refused = refused(409, "cluster", () -> RestoreRules.rollbackStarts("r1", finished, other, List.of()));
        assertEquals("restore r2 of cluster 'prod' is running (phase RESTORING); roll back once it ended", refused.getMessage());
    }

    @Test
    void onlyAFinishedReplaceThatChangedMembersRollsBack() {
        refused(404, "id", () -> RestoreRules.rollbackStarts("r1", null, null, List.of()));
        refused(409, "mode", () -> RestoreRules.rollbackStarts("r1", restore(RestoreMode.API, RestorePhase.COMPLETED, true, null), null, List.of()));
        refused(409, "phase", () -> RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.RESTORING, true, null), null, List.of()));
        refused(409, "phase", () -> RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.FAILED, false, null), null, List.of()));
        assertTrue(RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.FAILED, true, null), null, List.of()));
        assertTrue(RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, RollbackState.FAILED), null, List.of()),
                "a failed rollback may be asked for again");
        assertFalse(RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, RollbackState.REQUESTED), null, List.of()));
        assertFalse(RestoreRules.rollbackStarts("r1", restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, RollbackState.ROLLED_BACK), null, List.of()));
    }

    @Test
    void onlyTheLatestRestoreThatChangedTheClusterRollsBack() {
        RestoreRecord first = restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, null);
        first.targetCluster = "prod";
        RestoreRecord dryRun = restore(RestoreMode.API, RestorePhase.COMPLETED, false, null);
        dryRun.id = "r2";
        dryRun.dryRun = true;
        dryRun.phases = PhaseTimes.none().started(RestorePhase.RESTORING, T0);
        RestoreRecord refusedEarly = restore(RestoreMode.REPLACE, RestorePhase.FAILED, false, null);
        refusedEarly.id = "r3";
        RestoreRecord rolledBack = restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, RollbackState.ROLLED_BACK);
        rolledBack.id = "r4";
        assertTrue(RestoreRules.rollbackStarts("r1", first, null, List.of(dryRun, refusedEarly, rolledBack)),
                "later restores that changed nothing, or were rolled back themselves, do not stand in the way");

        RestoreRecord apiWrite = restore(RestoreMode.API, RestorePhase.FAILED, false, null);
        apiWrite.id = "r5";
        apiWrite.createdAt = T0;
        apiWrite.phases = PhaseTimes.none().started(RestorePhase.RESTORING, T0);
        RestoreRefusedException refused = refused(409, "id", () -> RestoreRules.rollbackStarts("r1", first, null, List.of(apiWrite)));
        assertEquals("restore r5 (API, " + T0 + ") changed cluster 'prod' after restore r1; only the latest restore of a cluster can be "
                + "rolled back (roll back r5 first, if it kept its data dirs)", refused.getMessage());
        RestoreRecord replace = restore(RestoreMode.REPLACE, RestorePhase.COMPLETED, true, RollbackState.FAILED);
        replace.id = "r6";
        refused(409, "id", () -> RestoreRules.rollbackStarts("r1", first, null, List.of(replace)));
    }

    @Test
    void phaseTimesRoundTripAndAnUnreadableValueFailsLoudly() {
        PhaseTimes times = PhaseTimes.none().started(RestorePhase.VALIDATING, T0).ended(RestorePhase.VALIDATING, T0.plusSeconds(2))
                .started(RestorePhase.FETCHING, T0.plusSeconds(2));
        PhaseTimes.Column column = new PhaseTimes.Column();
        String stored = column.convertToDatabaseColumn(times);
        assertEquals(times, column.convertToEntityAttribute(stored));
        assertEquals(T0.plusSeconds(2), column.convertToEntityAttribute(stored).startedAt(RestorePhase.FETCHING));
        assertNull(times.startedAt(RestorePhase.RESTORING));
        assertEquals(List.of("VALIDATING", "FETCHING"), List.copyOf(times.asMap().keySet()));
        IllegalStateException broken = assertThrows(IllegalStateException.class, () -> column.convertToEntityAttribute("{\"VALIDATING\":"));
        assertTrue(broken.getMessage().startsWith("the stored phase times of a restore cannot be read"), broken.getMessage());
        assertThrows(IllegalStateException.class, () -> column.convertToEntityAttribute("{\"SLEEPING\":{}}"));
    }

    @Test
    void deltaIdsAreCheckedBothWays() {
        DeltaIds column = new DeltaIds();
        assertNull(column.convertToDatabaseColumn(List.of()));
        assertEquals("d1,d2", column.convertToDatabaseColumn(List.of("d1", "d2")));
        assertEquals(List.of("d1", "d2"), column.convertToEntityAttribute("d1,d2"));
        assertEquals(List.of(), column.convertToEntityAttribute(null));
        assertThrows(IllegalArgumentException.class, () -> column.convertToEntityAttribute("d1,,d2"));
        assertThrows(IllegalArgumentException.class, () -> column.convertToDatabaseColumn(List.of("../etc")));
    }

    private static RestoreRefusedException refused(int status, String field, Executable rule) {
        RestoreRefusedException refused = assertThrows(RestoreRefusedException.class, rule);
        assertEquals(status, refused.status(), refused.getMessage());
        assertEquals(field, refused.field(), refused.getMessage());
        return refused;
    }

    private static RestoreRequested request(RestoreMode mode, String snapshot, Long toRevision, Instant toTime, String target, boolean cross) {
        return new RestoreRequested(null, "prod", snapshot, mode, null, false, target, cross, false, toRevision, toTime, null);
    }

    private static ClusterRecord cluster(List<ClusterSpec.Member> members) {
        ClusterRecord cluster = new ClusterRecord();
        cluster.id = "prod";
        try {
            cluster.spec = EventCodec.json().writeValueAsString(new ClusterSpec("prod", List.of("http://127.0.0.1:2379"), null, null, null,
                    members, false, false));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return cluster;
    }

    private static SnapshotRecord snapshot(String id, String cluster, SnapshotKind kind, long revision) {
        SnapshotRecord snapshot = new SnapshotRecord();
        snapshot.id = id;
        snapshot.clusterId = cluster;
        snapshot.kind = kind;
        snapshot.revision = revision;
        snapshot.startedAt = T0;
        snapshot.completedAt = T0.plusSeconds(1);
        return snapshot;
    }

    private static SnapshotRecord delta(String id, String chain, String base, long first, long last, int minute) {
        SnapshotRecord delta = snapshot(id, "prod", SnapshotKind.DELTA, last);
        delta.chainId = chain;
        delta.baseSnapshotId = base;
        delta.firstRevision = first;
        delta.firstEventAt = T0.plusSeconds(60L * minute);
        delta.lastEventAt = T0.plusSeconds(60L * minute + 30);
        delta.completedAt = T0.plusSeconds(60L * minute + 31);
        return delta;
    }

    private static RestoreRecord restore(RestoreMode mode, RestorePhase phase, boolean commanded, RollbackState rollback) {
        RestoreRecord restore = new RestoreRecord();
        restore.id = "r1";
        restore.mode = mode;
        restore.phase = phase;
        restore.membersCommanded = commanded;
        restore.rollback.state = rollback;
        return restore;
    }
}
