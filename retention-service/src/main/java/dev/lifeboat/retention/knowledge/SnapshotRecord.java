package dev.lifeboat.retention.knowledge;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.projection.SnapshotProjection;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.LockModeType;
import jakarta.persistence.Table;

/** A Completed snapshot as retention sees it: where it is, how big, whether it is held, and its state. */
@Entity
@Table(name = "snapshot")
public class SnapshotRecord extends SnapshotProjection {

    /** COMPLETED → DELETING (objects being deleted) → DELETED; COMPLETED → MISSING (the object is gone). */
    public enum State {
        COMPLETED, DELETING, DELETED, MISSING
    }

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public State state;

    public String reason;

    @Column(nullable = false)
    public boolean held;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** When a restore drill last proved it restorable (DrillEnded, passed); null: never. */
    @Column(name = "verified_at")
    public Instant verifiedAt;

    // The queries on this table, here and nowhere else.

    /** The cluster's snapshots in {@code state}. */
    public static Uni<List<SnapshotRecord>> inState(String clusterId, State state) {
        return list("clusterId = ?1 and state = ?2", clusterId, state);
    }

    /** The cluster's Completed snapshots, locked against a concurrent run when {@code lock} (a pass that marks them). */
    public static Uni<List<SnapshotRecord>> completed(String clusterId, boolean lock) {
        var query = find("clusterId = ?1 and state = ?2", clusterId, State.COMPLETED);
        return lock ? query.withLock(LockModeType.PESSIMISTIC_WRITE).list() : query.list();
    }

    /** Those of {@code ids} still DELETING (a batch whose objects are gone). */
    public static Uni<List<SnapshotRecord>> stillDeleting(List<String> ids) {
        return list("id in ?1 and state = ?2", ids, State.DELETING);
    }

    /** The cluster's entries in {@code bucket} that are not DELETED: what a listing of the bucket should show. */
    public static Uni<List<SnapshotRecord>> catalogued(String clusterId, String bucket) {
        return list("clusterId = ?1 and bucket = ?2 and state <> ?3", clusterId, bucket, State.DELETED);
    }

    /** Snapshot-service or a run elsewhere deleted it: DELETED, keeping the first reason recorded. */
    public static Uni<Void> markDeleted(String id, String reason) {
        return update("state = ?1, reason = coalesce(reason, ?2), updatedAt = ?3 where id = ?4 and state <> ?1", State.DELETED, reason, Instant.now(), id)
                .replaceWithVoid();
    }
}
