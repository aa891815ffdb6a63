package dev.lifeboat.restore.knowledge;

import java.time.Instant;
import java.util.List;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A gap delta capture recorded (DeltaGapDetected): chain {@code chainId} lost the changes after {@code lastRevision}. */
@Entity
@Table(name = "delta_gap")
public class DeltaGapRecord extends PanacheEntityBase {

    @Id
    @Column(name = "chain_id")
    public String chainId;
    @Column(name = "cluster_id", nullable = false)
    public String clusterId;
    @Column(name = "last_revision", nullable = false)
    public long lastRevision;
    @Column(name = "compact_revision")
    public Long compactRevision;
    @Column(nullable = false)
    public String reason;
    @Column(name = "detected_at", nullable = false)
    public Instant detectedAt;

    /** The gaps recorded for the cluster, newest first, at most {@code limit}. */
    public static Uni<List<DeltaGapRecord>> newestFirst(String clusterId, int limit) {
        return find("clusterId = ?1 order by detectedAt desc", clusterId).page(0, limit).list();
    }
}
