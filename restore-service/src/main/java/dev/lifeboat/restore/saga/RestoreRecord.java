package dev.lifeboat.restore.saga;

import java.time.Instant;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One restore: what was asked, where the saga stands, and its progress. */
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

    public String requester;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RestorePhase phase;

    public String error;

    /** Something the operator should know about a restore that otherwise went well. */
    public String note;

    /** JSON: phase name -> {startedAt, endedAt}. */
    @Column(nullable = false)
    public String phases;

    @Column(name = "pause_requested", nullable = false)
    public boolean pauseRequested;

    @Column(nullable = false)
    public boolean paused;

    @Column(name = "resume_requested", nullable = false)
    public boolean resumeRequested;

    @Column(nullable = false)
    public boolean resumed;

    @Column(name = "keys_total")
    public Long keysTotal;

    @Column(name = "keys_processed")
    public Long keysProcessed;

    @Column(name = "keys_put")
    public Long keysPut;

    @Column(name = "keys_deleted")
    public Long keysDeleted;

    @Column(name = "keys_unchanged")
    public Long keysUnchanged;

    /** REPLACE: the RestoreMember commands went out. */
    /** Point in time: the target revision asked for, or null. */
    @Column(name = "to_revision")
    public Long toRevision;

    /** Point in time: the target time asked for, or null. */
    @Column(name = "to_time")
    public Instant toTime;

    /** Point in time: the deltas replayed onto {@link #snapshotId}, comma-separated in chain order; null otherwise. */
    @Column(name = "delta_ids")
    public String deltaIds;

    /** Point in time: the revision the restored keyspace is at (for a target time, known once FETCHING read the deltas). */
    @Column(name = "target_revision")
    public Long targetRevision;

    /** The trace of the request (traceparent): the saga's spans continue it, whichever instance drives it. */
    public String traceparent;

    /** The deltas to replay, in order; empty when the restore is of a full snapshot alone. */
    public java.util.List<String> deltas() {
        return deltaIds == null || deltaIds.isBlank() ? java.util.List.of() : java.util.List.of(deltaIds.split(","));
    }

    /** Whether the restore targets a point in time (a revision or a time) rather than a named snapshot. */
    public boolean pointInTime() {
        return toRevision != null || toTime != null;
    }

    @Column(name = "members_commanded", nullable = false)
    public boolean membersCommanded;

    /** REPLACE: null, or REQUESTED, then ROLLED_BACK or FAILED. */
    @Column(name = "rollback_state")
    public String rollbackState;

    @Column(name = "rollback_commanded", nullable = false)
    public boolean rollbackCommanded;

    @Column(name = "rollback_error")
    public String rollbackError;

    @Column(name = "claimed_by")
    public String claimedBy;

    @Column(name = "claimed_until")
    public Instant claimedUntil;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
