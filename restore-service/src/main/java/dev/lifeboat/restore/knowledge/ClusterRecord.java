package dev.lifeboat.restore.knowledge;

import java.time.Instant;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A cluster's connection facts, from the scheduler's cluster events (JSON of ClusterSpec). */
@Entity
@Table(name = "cluster")
public class ClusterRecord extends PanacheEntityBase {

    @Id
    public String id;

    @Column(nullable = false)
    public String spec;

    @Column(nullable = false)
    public boolean deleted;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    public ClusterSpec spec() {
        try {
            return EventCodec.json().readValue(spec, ClusterSpec.class);
        } catch (Exception e) {
            throw new IllegalStateException("the stored facts of cluster '" + id + "' are unreadable");
        }
    }
}
