package dev.lifeboat.snapshot.delta;

import java.time.Instant;
import java.util.List;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * A capture chain of a cluster: deltas that follow a full snapshot (its base) and each other without a
 * hole. See {@code V2026_12_01_1__delta_capture.sql}.
 */
@Entity
@Table(name = "delta_chain")
public class ChainRecord extends PanacheEntityBase {

    /** WAITING for a base full snapshot → ACTIVE (deltas continue from {@link #lastRevision}) → ENDED. */
    public enum State {
        WAITING, ACTIVE, ENDED
    }

    @Id
    public String id;
    @Column(name = "cluster_id", nullable = false)
    public String clusterId;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public State state;
    /** A base must have started at or after this: older snapshots may belong to a history a restore replaced. */
    @Column(name = "base_after")
    public Instant baseAfter;
    /** When to ask for a base full snapshot if none came by then. */
    @Column(name = "request_after")
    public Instant requestAfter;
    @Column(name = "base_requests", nullable = false)
    public int baseRequests;
    @Column(name = "base_requested_at")
    public Instant baseRequestedAt;
    @Column(name = "base_snapshot_id")
    public String baseSnapshotId;
    @Column(name = "base_revision")
    public Long baseRevision;
    /** The last revision stored in a delta of the chain (the base's revision before the first). */
    @Column(name = "last_revision")
    public Long lastRevision;
    @Column(name = "last_event_at")
    public Instant lastEventAt;
    @Column(nullable = false)
    public long deltas;
    @Column(name = "end_reason")
    public String endReason;
    @Column(name = "created_at", nullable = false)
    public Instant createdAt;
    @Column(name = "activated_at")
    public Instant activatedAt;
    @Column(name = "ended_at")
    public Instant endedAt;

    // The queries on this table, here and nowhere else.

    /** Every chain not ENDED (one per cluster at most). */
    public static Uni<List<ChainRecord>> open() {
        return list("state <> ?1", State.ENDED);
    }

    /** The cluster's chain that has not ENDED, or null. */
    public static Uni<ChainRecord> openOf(String clusterId) {
        return find("clusterId = ?1 and state <> ?2", clusterId, State.ENDED).firstResult();
    }

    /** The cluster's ACTIVE chain (capturing now), or null. */
    public static Uni<ChainRecord> activeOf(String clusterId) {
        return find("clusterId = ?1 and state = ?2", clusterId, State.ACTIVE).firstResult();
    }

    /** The cluster's chains, newest first, at most {@code limit}. */
    public static Uni<List<ChainRecord>> newestFirst(String clusterId, int limit) {
        return find("clusterId = ?1 order by createdAt desc", clusterId).page(0, limit).list();
    }
}
