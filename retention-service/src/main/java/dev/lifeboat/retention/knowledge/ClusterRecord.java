package dev.lifeboat.retention.knowledge;

import java.util.List;

import dev.lifeboat.events.projection.ClusterProjection;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** A cluster's connection facts (bucket and prefix), from the scheduler's cluster events. */
@Entity
@Table(name = "cluster")
public class ClusterRecord extends ClusterProjection {

    /** Every cluster registered and not deleted. */
    public static Uni<List<ClusterRecord>> registered() {
        return list("deleted = false");
    }
}
