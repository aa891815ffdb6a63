package dev.lifeboat.scheduler.cluster;

import java.time.Instant;
import java.util.List;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A registered cluster: its ClusterSpec as JSON, and whether a restore paused it. */
@Entity
@Table(name = "cluster")
public class ClusterRecord extends PanacheEntityBase {

    @Id
    public String id;

    @Column(nullable = false)
    public String spec;

    @Column(nullable = false)
    public boolean paused;

    @Column(name = "paused_by")
    public String pausedBy;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** Every registered cluster, by id. */
    public static Uni<List<ClusterRecord>> allById() {
        return listAll(Sort.by("id"));
    }
}
