package dev.lifeboat.snapshot.catalog;

import java.time.Instant;

import dev.lifeboat.events.projection.ClusterProjection;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** A cluster's connection facts, from the scheduler's cluster events, and whether a restore has it paused. */
@Entity
@Table(name = "cluster")
public class ClusterRecord extends ClusterProjection {

    /** ClusterPaused until ClusterResumed: delta capture stops meanwhile. */
    @Column(nullable = false)
    public boolean paused;

    /** When the last pause ended: a capture chain after it starts from a full snapshot taken since. */
    @Column(name = "resumed_at")
    public Instant resumedAt;
}
