package dev.lifeboat.events.projection;

import java.time.Instant;

import dev.lifeboat.events.SnapshotCompleted;
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
    }
}
