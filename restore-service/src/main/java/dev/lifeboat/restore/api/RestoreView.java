package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.restore.saga.MemberRecord;
import dev.lifeboat.restore.saga.RestoreRecord;

/** A restore as the API shows it; {@code pointInTime} is set for a restore to a revision or a time. */
public record RestoreView(String id, String cluster, String targetCluster, String snapshot, RestoreMode mode, String keyPrefix,
        boolean prune, boolean dryRun, boolean drillFirst, RestorePhase phase, String error, String note, Map<String, Map<String, Instant>> phases,
        Progress progress, PointInTime pointInTime, List<Member> members, Rollback rollback, String requester, Instant createdAt,
        Instant updatedAt) {

    /**
     * The target asked for ({@code toRevision} or {@code toTime}), the revision the restored keyspace is at
     * ({@code revision}; for a time, known once FETCHING read the deltas) and the deltas replayed onto {@code snapshot}.
     */
    public record PointInTime(Long toRevision, Instant toTime, Long revision, List<String> deltas) {
    }

    /**
     * REPLACE: one member and its etcd-agent's answers; {@code dataChanged} whether its data dir was replaced
     * (false for a member that failed before the swap and serves its previous data; null before an answer).
     */
    public record Member(String name, String state, Long revision, Boolean revisionBumped, String note, String reason, Boolean dataChanged,
            String rollbackState, String rollbackReason) {
    }

    /**
     * REPLACE: a rollback asked for after the restore ended, or ({@code automatic}) started by the saga because the
     * restore failed after some member's data was replaced.
     */
    public record Rollback(String state, String error, boolean automatic) {
    }

    /** Keys of the snapshot (in the range) processed of the total; at the end what was put, deleted, left unchanged. */
    public record Progress(Long keysTotal, Long keysProcessed, Long keysPut, Long keysDeleted, Long keysUnchanged) {
    }

    static RestoreView of(RestoreRecord restore) {
        return of(restore, null);
    }

    static RestoreView of(RestoreRecord restore, List<MemberRecord> members) {
        return new RestoreView(restore.id, restore.clusterId, restore.targetCluster, restore.snapshotId, restore.mode, restore.keyPrefix,
                restore.prune, restore.dryRun, restore.drillFirst, restore.phase, restore.error, restore.note, restore.phases.asMap(), progress(restore.getProgress()),
                restore.isPointInTime() ? pointInTime(restore) : null,
                members == null || members.isEmpty() ? null : members.stream().map(row -> new Member(row.memberName, name(row.state), row.revision,
                        row.revisionBumped, row.note, row.reason, row.dataChanged, name(row.rollbackState), row.rollbackReason)).toList(),
                restore.rollback.state == null ? null : new Rollback(restore.rollback.state.name(), restore.rollback.error, restore.rollback.automatic), restore.requester,
                restore.createdAt, restore.updatedAt);
    }

    private static Progress progress(RestoreRecord.Progress progress) {
        return new Progress(progress.total, progress.processed, progress.put, progress.deleted, progress.unchanged);
    }

    private static PointInTime pointInTime(RestoreRecord restore) {
        RestoreRecord.PointInTime target = restore.getPointInTime();
        return new PointInTime(target.toRevision, target.toTime, target.targetRevision, restore.deltas());
    }

    private static String name(Enum<?> state) {
        return state == null ? null : state.name();
    }
}
