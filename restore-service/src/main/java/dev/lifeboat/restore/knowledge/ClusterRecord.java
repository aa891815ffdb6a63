package dev.lifeboat.restore.knowledge;

import dev.lifeboat.events.projection.ClusterProjection;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** A cluster's connection facts, from the scheduler's cluster events. */
@Entity
@Table(name = "cluster")
public class ClusterRecord extends ClusterProjection {
}
