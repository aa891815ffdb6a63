package dev.lifeboat.retention.knowledge;

import java.time.Instant;

import dev.lifeboat.events.projection.SnapshotProjection;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
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
}
