package dev.lifeboat.retention.knowledge;

import java.io.Serializable;
import java.util.List;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.RetentionSpec;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;

/** The retention settings of one backup policy (JSON of RetentionSpec, or null when it has none). */
@Entity
@Table(name = "policy")
@IdClass(PolicyRecord.Key.class)
public class PolicyRecord extends PanacheEntityBase {

    @Id
    @Column(name = "cluster_id")
    public String clusterId;

    @Id
    @Column(name = "policy_id")
    public String policyId;

    public String retention;

    public RetentionSpec spec() {
        try {
            return retention == null ? null : EventCodec.json().readValue(retention, RetentionSpec.class);
        } catch (Exception e) {
            throw new IllegalStateException("the retention of policy '" + policyId + "' is unreadable");
        }
    }

    /** Composite key. */
    public static class Key implements Serializable {
        public String clusterId;
        public String policyId;

        public Key() {
        }

        public Key(String clusterId, String policyId) {
            this.clusterId = clusterId;
            this.policyId = policyId;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Key key && java.util.Objects.equals(clusterId, key.clusterId) && java.util.Objects.equals(policyId, key.policyId);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(clusterId, policyId);
        }
    }

    /** The cluster's policies. */
    public static Uni<List<PolicyRecord>> ofCluster(String clusterId) {
        return list("clusterId = ?1", clusterId);
    }

    /** The policy was deleted in scheduler-service. */
    public static Uni<Void> forget(String clusterId, String policyId) {
        return delete("clusterId = ?1 and policyId = ?2", clusterId, policyId).replaceWithVoid();
    }
}
