package dev.lifeboat.scheduler.cluster;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.RestorePhase;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A restore as the scheduler heard of it (RestorePhaseChanged): its cluster and newest phase. */
@Entity
@Table(name = "restore_progress")
public class RestoreProgress extends PanacheEntityBase {

    @Id
    @Column(name = "restore_id")
    public String restoreId;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public RestorePhase phase;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    /** A restore of the cluster that has not ended, or null. */
    static Uni<RestoreProgress> running(String clusterId) {
        return RestoreProgress.<RestoreProgress>find("clusterId = ?1 and phase not in ?2 order by updatedAt desc", clusterId,
                List.of(RestorePhase.COMPLETED, RestorePhase.FAILED)).firstResult();
    }
}
