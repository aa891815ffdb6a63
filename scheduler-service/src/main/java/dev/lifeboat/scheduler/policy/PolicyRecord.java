package dev.lifeboat.scheduler.policy;

import java.time.Instant;
import java.util.List;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** A backup policy of a cluster, its id unique within the cluster; see {@code V2026_11_22_2__scheduler_policies.sql}. */
@Entity
@Table(name = "policy")
@IdClass(PolicyRecord.Key.class)
public class PolicyRecord extends PanacheEntityBase {

    /** The primary key: cluster and policy id. */
    public static class Key implements java.io.Serializable {
        public String clusterId;
        public String id;

        public Key() {
        }

        public Key(String clusterId, String id) {
            this.clusterId = clusterId;
            this.id = id;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && java.util.Objects.equals(clusterId, key.clusterId) && java.util.Objects.equals(id, key.id);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(clusterId, id);
        }
    }

    @Id
    @Column(name = "cluster_id", nullable = false)
    public String clusterId;
    @Id
    public String id;
    @Column(nullable = false)
    public String schedule;
    @Column(name = "time_zone", nullable = false)
    public String timeZone;
    @Column(nullable = false)
    public String kind;
    @Column(name = "jitter_seconds", nullable = false)
    public long jitterSeconds;
    @Column(name = "starting_deadline_seconds", nullable = false)
    public long startingDeadlineSeconds;
    /** RetentionSpec as JSON, or null. */
    public String retention;
    /** For kind DELTA: bytes of changes after which a delta is written before its period ends. */
    @Column(name = "delta_max_bytes")
    public Long deltaMaxBytes;
    /** For kind DRILL: which full snapshot each slot drills, {@code latest} (null) or {@code undrilled}. */
    @Column(name = "drill_snapshot")
    public String drillSnapshot;
    @Column(name = "next_fire_at", nullable = false)
    public Instant nextFireAt;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    /** This cluster's place inside the jitter window: the same for every replica, spread across clusters. */
    long offsetSeconds() {
        if (jitterSeconds == 0) {
            return 0;
        }
        return Math.floorMod((clusterId + "/" + id).hashCode() * 0x9E3779B1L, jitterSeconds);
    }

    // The queries on this table, here and nowhere else (the firing's due slots are native SQL in Firing).

    /** The cluster's policies, by id. */
    public static Uni<List<PolicyRecord>> ofCluster(String clusterId) {
        return list("clusterId", Sort.by("id"), clusterId);
    }

    /** When the next slot of any policy that fires slots is due; null without one. */
    static Uni<Instant> nextFireAt() {
        return Panache.getSession().chain(session -> session.createSelectionQuery(
                "select min(p.nextFireAt) from PolicyRecord p where p.kind in ('FULL', 'DRILL')", Instant.class).getSingleResultOrNull());
    }

    /** The cluster's policy {@code id}, or null. */
    public static Uni<PolicyRecord> of(String clusterId, String id) {
        return find("id = ?1 and clusterId = ?2", id, clusterId).firstResult();
    }

    /** The cluster's DELTA policy other than {@code id}, or null: a cluster has one capture at most. */
    public static Uni<PolicyRecord> otherDeltaPolicy(String clusterId, String id) {
        return find("clusterId = ?1 and kind = ?2 and id <> ?3", clusterId, PolicyKind.DELTA.name(), id).firstResult();
    }
}
