package dev.lifeboat.retention.knowledge;

import java.time.Instant;

import dev.lifeboat.events.SnapshotKind;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A Completed snapshot as retention sees it: where it is, how big, whether it is held, and its state. */
@Entity
@Table(name = "snapshot")
public class SnapshotRecord extends PanacheEntityBase {

    /** COMPLETED → DELETING (objects being deleted) → DELETED; COMPLETED → MISSING (the object is gone). */
    public enum State {
        COMPLETED, DELETING, DELETED, MISSING
    }

    @Id
    public String id;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public SnapshotKind kind;

    @Column(nullable = false)
    public String bucket;

    @Column(name = "object_key", nullable = false)
    public String objectKey;

    @Column(name = "stored_size", nullable = false)
    public long storedSize;

    @Column(nullable = false)
    public long revision;

    @Column(name = "completed_at", nullable = false)
    public Instant completedAt;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public State state;

    public String reason;

    @Column(nullable = false)
    public boolean held;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;
}
