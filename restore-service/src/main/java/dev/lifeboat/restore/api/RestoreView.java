package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.restore.saga.MemberRecord;
import dev.lifeboat.restore.saga.RestoreRecord;
import dev.lifeboat.restore.saga.Restores;

/** A restore as the API shows it; {@code pointInTime} is set for a restore to a revision or a time. */
public record RestoreView(String id, String cluster, String targetCluster, String snapshot, RestoreMode mode, String keyPrefix,
        boolean prune, boolean dryRun, RestorePhase phase, String error, String note, Map<String, Map<String, Instant>> phases,
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

    /** REPLACE: a rollback asked for after the restore ended. */
    public record Rollback(String state, String error) {
    }

    /** Keys of the snapshot (in the range) processed of the total; at the end what was put, deleted, left unchanged. */
    public record Progress(Long keysTotal, Long keysProcessed, Long keysPut, Long keysDeleted, Long keysUnchanged) {
    }

    static RestoreView of(RestoreRecord restore) {
        return of(restore, null);
    }

    static RestoreView of(RestoreRecord restore, List<MemberRecord> members) {
        return new RestoreView(restore.id, restore.clusterId, restore.targetCluster, restore.snapshotId, restore.mode, restore.keyPrefix,
                restore.prune, restore.dryRun, restore.phase, restore.error, restore.note, Restores.phases(restore.phases),
                new Progress(restore.keysTotal, restore.keysProcessed, restore.keysPut, restore.keysDeleted, restore.keysUnchanged),
                restore.pointInTime() ? new PointInTime(restore.toRevision, restore.toTime, restore.targetRevision, restore.deltas()) : null,
                members == null || members.isEmpty() ? null : members.stream().map(row -> new Member(row.memberName, row.state, row.revision,
                        row.revisionBumped, row.note, row.reason, row.dataChanged, row.rollbackState, row.rollbackReason)).toList(),
                restore.rollbackState == null ? null : new Rollback(restore.rollbackState, restore.rollbackError), restore.requester, restore.createdAt, restore.updatedAt);
    }
}
