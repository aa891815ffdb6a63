package dev.lifeboat.snapshot.catalog;

import java.time.Instant;

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
}
