package dev.lifeboat.snapshot.catalog;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.projection.ClusterProjection;
import io.smallrye.mutiny.Uni;
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

    /** The clusters with these ids. */
    public static Uni<List<ClusterRecord>> withIds(List<String> ids) {
        return list("id in ?1", ids);
    }

    /** The scheduler paused ({@code paused}) or resumed the cluster. */
    public static Uni<Void> paused(String id, boolean paused) {
        return (paused ? update("paused = true where id = ?1", id) : update("paused = false, resumedAt = ?1 where id = ?2", Instant.now(), id))
                .replaceWithVoid();
    }
}
