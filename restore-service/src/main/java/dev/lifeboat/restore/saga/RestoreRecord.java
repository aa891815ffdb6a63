package dev.lifeboat.restore.saga;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Embeddable;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One restore: what was asked (the fields at the top), where the saga stands (phase, claim, phase times),
 * and its parts — the pause handshake with the scheduler, the key progress, the point-in-time target and
 * a REPLACE's rollback.
 */
@Entity
@Table(name = "restore")
public class RestoreRecord extends PanacheEntityBase {

    @Id
    public String id;

    /** The cluster whose snapshot is restored. */
    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    /** The cluster written to: the same one, or another with allowCrossCluster. */
    @Column(name = "target_cluster", nullable = false)
    public String targetCluster;

    @Column(name = "snapshot_id", nullable = false)
    public String snapshotId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RestoreMode mode;

    @Column(name = "key_prefix")
    public String keyPrefix;

    @Column(nullable = false)
    public boolean prune;

    @Column(name = "dry_run", nullable = false)
    public boolean dryRun;

    /** REPLACE: a restore drill must have proven the snapshot restorable before anything is paused or replaced. */
    @Column(name = "drill_first", nullable = false)
    public boolean drillFirst;

    public String requester;

    /** The trace of the request (traceparent): the saga's spans continue it, whichever instance drives it. */
    public String traceparent;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RestorePhase phase;

    public String error;

    /** Something the operator should know about a restore that otherwise went well. */
    public String note;

    @Convert(converter = PhaseTimes.Column.class)
    @Column(nullable = false)
    public PhaseTimes phases;

    /** REPLACE: the RestoreMember commands went out. */
    @Column(name = "members_commanded", nullable = false)
    public boolean membersCommanded;

    @Embedded
    public Pause pause = new Pause();

    @Embedded
    public Progress progress = new Progress();

    @Embedded
    public PointInTime pointInTime = new PointInTime();

    @Embedded
    public Rollback rollback = new Rollback();

    @Column(name = "claimed_by")
    public String claimedBy;

    @Column(name = "claimed_until")
    public Instant claimedUntil;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** A part whose columns are all null is loaded as null; an empty part reads the same and is never null. */
    public Progress getProgress() {
        if (progress == null) {
            progress = new Progress();
        }
        return progress;
    }

    public PointInTime getPointInTime() {
        if (pointInTime == null) {
            pointInTime = new PointInTime();
        }
        return pointInTime;
    }

    /** The deltas to replay, in order; empty when the restore is of a full snapshot alone. */
    public List<String> deltas() {
        List<String> deltas = getPointInTime().deltaIds;
        return deltas == null ? List.of() : deltas;
    }

    /** Whether the restore targets a point in time (a revision or a time) rather than a named snapshot. */
    public boolean isPointInTime() {
        return getPointInTime().toRevision != null || getPointInTime().toTime != null;
    }

    /** The pause handshake with the scheduler: asked for, confirmed; then resume asked for, confirmed. */
    @Embeddable
    public static class Pause {
        @Column(name = "pause_requested", nullable = false)
        public boolean requested;

        @Column(nullable = false)
        public boolean paused;

        @Column(name = "resume_requested", nullable = false)
        public boolean resumeRequested;

        @Column(nullable = false)
        public boolean resumed;
    }

    /** Keys of the snapshot processed of the total while RESTORING runs; at the end what was put, deleted, left unchanged. */
    @Embeddable
    public static class Progress {
        @Column(name = "keys_total")
        public Long total;

        @Column(name = "keys_processed")
        public Long processed;

        @Column(name = "keys_put")
        public Long put;

        @Column(name = "keys_deleted")
        public Long deleted;

        @Column(name = "keys_unchanged")
        public Long unchanged;
    }

    /** Point in time: the target asked for, the deltas replayed onto the snapshot, the revision reached. */
    @Embeddable
    public static class PointInTime {
        /** The target revision asked for, or null. */
        @Column(name = "to_revision")
        public Long toRevision;

        /** The target time asked for, or null. */
        @Column(name = "to_time")
        public Instant toTime;

        /** The deltas replayed onto the snapshot, in chain order; empty otherwise. */
        @Convert(converter = DeltaIds.class)
        @Column(name = "delta_ids")
        public List<String> deltaIds;

        /** The revision the restored keyspace is at (for a target time, known once FETCHING read the deltas). */
        @Column(name = "target_revision")
        public Long targetRevision;
    }

    /** REPLACE: a rollback asked for after the restore ended, or started by the saga when the restore failed on some member. */
    @Embeddable
    public static class Rollback {
        /** Null, or REQUESTED, then ROLLED_BACK or FAILED. */
        @Enumerated(EnumType.STRING)
        @Column(name = "rollback_state")
        public RollbackState state;

        @Column(name = "rollback_commanded", nullable = false)
        public boolean commanded;

        @Column(name = "rollback_error")
        public String error;

        /** True when the saga started it because the restore failed after a member's data was replaced (all or nothing). */
        @Column(name = "rollback_automatic", nullable = false)
        public boolean automatic;
    }

    // The queries on this table, here and nowhere else (the claim's candidates are native SQL in Restores).

    /** The restore of {@code targetCluster} still running (not COMPLETED or FAILED), or null. */
    public static Uni<RestoreRecord> runningOn(String targetCluster) {
        return find("targetCluster = ?1 and phase not in ?2", targetCluster, List.of(RestorePhase.COMPLETED, RestorePhase.FAILED)).firstResult();
    }

    /** The restores of {@code targetCluster} created after {@code after}, newest first. */
    public static Uni<List<RestoreRecord>> laterOn(String targetCluster, Instant after) {
        return list("targetCluster = ?1 and createdAt > ?2 order by createdAt desc", targetCluster, after);
    }

    /** The newest restores, of one target cluster or (null) of all, at most {@code limit}. */
    public static Uni<List<RestoreRecord>> newestFirst(String targetCluster, int limit) {
        return (targetCluster == null ? find("order by createdAt desc") : find("targetCluster = ?1 order by createdAt desc", targetCluster))
                .page(0, limit).list();
    }

    /** Renews {@code owner}'s claim; false when another instance holds it now. */
    public static Uni<Boolean> extendClaim(String id, String owner, Instant until) {
        return update("claimedUntil = ?1 where id = ?2 and claimedBy = ?3", until, id, owner).map(n -> n > 0);
    }

    /** The scheduler confirmed the pause ({@code paused}) or the resume a restore asked for. */
    public static Uni<Void> acknowledged(String id, boolean paused) {
        return update(paused ? "pause.paused = true where id = ?1" : "pause.resumed = true where id = ?1", id).replaceWithVoid();
    }
}
