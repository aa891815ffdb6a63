package dev.lifeboat.snapshot.delta;

import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** The DELTA policy of a cluster, from BackupPolicySet: capture runs while it exists. */
@Entity
@Table(name = "delta_policy")
public class DeltaPolicyRecord extends PanacheEntityBase {

    @Id
    @Column(name = "cluster_id")
    public String clusterId;
    @Column(name = "policy_id", nullable = false)
    public String policyId;
    /** A delta is written once its first change is this old ... */
    @Column(name = "period_seconds", nullable = false)
    public long periodSeconds;
    /** ... or once this many bytes of changes accumulated, whichever comes first. */
    @Column(name = "max_bytes", nullable = false)
    public long maxBytes;

    /** The policy was deleted, or is no longer a DELTA policy. */
    public static Uni<Void> forget(String clusterId, String policyId) {
        return delete("clusterId = ?1 and policyId = ?2", clusterId, policyId).replaceWithVoid();
    }
}
