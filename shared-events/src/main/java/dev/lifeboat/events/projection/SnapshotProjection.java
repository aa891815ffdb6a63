package dev.lifeboat.events.projection;

import java.time.Instant;

import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.events.SnapshotKind;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.MappedSuperclass;

/**
 * A service's own record of a Completed snapshot, as snapshot-service announced it: where it is and
 * what it holds. Each service maps it to a {@code snapshot} table in its own schema with an entity
 * extending this class, adding what only it needs.
 */
@MappedSuperclass
public abstract class SnapshotProjection extends PanacheEntityBase {

    @Id
    public String id;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public SnapshotKind kind;

    @Column(nullable = false)
    public long revision;

    @Column(nullable = false)
    public String bucket;

    @Column(name = "object_key", nullable = false)
    public String objectKey;

    @Column(name = "stored_size", nullable = false)
    public long storedSize;

    @Column(name = "completed_at", nullable = false)
    public Instant completedAt;

    @Column(name = "started_at")
    public Instant startedAt;

    /** The capture chain: a DELTA's own, or for a FULL the one capturing when it completed; may be null. */
    @Column(name = "chain_id")
    public String chainId;

    /** For a DELTA: its first revision ({@link #revision} is its last), its chain's base and when its changes arrived. */
    @Column(name = "first_revision")
    public Long firstRevision;

    @Column(name = "base_snapshot_id")
    public String baseSnapshotId;

    @Column(name = "first_event_at")
    public Instant firstEventAt;

    @Column(name = "last_event_at")
    public Instant lastEventAt;

    /** Takes the facts of the event. */
    public void fill(SnapshotCompleted completed) {
        id = completed.snapshotId();
        clusterId = completed.clusterId();
        kind = completed.kind();
        revision = completed.revision();
        bucket = completed.bucket();
        objectKey = completed.objectKey();
        storedSize = completed.storedSize();
        completedAt = completed.completedAt();
        startedAt = completed.startedAt();
        chainId = completed.chainId();
        firstRevision = completed.firstRevision();
        if (completed.delta() != null) {
            baseSnapshotId = completed.delta().baseSnapshotId();
            firstEventAt = completed.delta().firstEventAt();
            lastEventAt = completed.delta().lastEventAt();
        }
    }

    /** As a full snapshot for {@link RecoveryChains}. */
    public RecoveryChains.Full asFull() {
        return new RecoveryChains.Full(id, revision, startedAt == null ? completedAt : startedAt, completedAt, chainId);
    }

    /** As a delta for {@link RecoveryChains}. */
    public RecoveryChains.Delta asDelta() {
        return new RecoveryChains.Delta(id, chainId, baseSnapshotId, firstRevision, revision, firstEventAt, lastEventAt, completedAt);
    }
}
