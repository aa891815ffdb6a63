package dev.lifeboat.scheduler.policy;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.lifeboat.events.BackupPolicyDeleted;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.scheduler.cluster.ClusterRecord;
import dev.lifeboat.scheduler.cluster.Clusters;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/** Backup policies of clusters; each change is announced (BackupPolicySet/Deleted) in its transaction. */
@ApplicationScoped
public class Policies {

    /**
     * A validated policy, ready to store; {@code deltaMaxBytes} only for kind DELTA, {@code retention} not for DRILL,
     * {@code drillSnapshot} (null: latest) only for DRILL.
     */
    public record Definition(String id, String schedule, String timeZone, PolicyKind kind, String jitter, long jitterSeconds,
            long startingDeadlineSeconds, RetentionSpec retention, Long deltaMaxBytes, String drillSnapshot) {
    }

    /** A DELTA policy never fires a slot: delta capture runs continuously in snapshot-service. */
    static final Instant NEVER = Instant.parse("9999-12-31T00:00:00Z");

    private final Outbox outbox;
    private final Firing firing;

    public Policies(Outbox outbox, Firing firing) {
        this.outbox = outbox;
        this.firing = firing;
    }

    /** Stores the policy and announces it in one transaction; once committed, the firing looks again for its first slot. */
    public Uni<PolicyRecord> set(String clusterId, Definition definition) {
        return Panache.withTransaction(() -> ClusterRecord.<ClusterRecord>findById(clusterId).chain(cluster -> {
            if (cluster == null) {
                return Uni.createFrom().failure(new Clusters.RefusedException(Clusters.Refusal.UNKNOWN,
                        "no cluster with id '" + clusterId + "'"));
            }
            String id = definition.id() != null ? definition.id() : Ids.newId();
            Uni<Void> oneDeltaPolicy = definition.kind() != PolicyKind.DELTA ? Uni.createFrom().voidItem()
                    : PolicyRecord.otherDeltaPolicy(clusterId, id).chain(other -> other == null ? Uni.createFrom().voidItem()
                                    : Uni.createFrom().failure(new Clusters.RefusedException(Clusters.Refusal.DUPLICATE, "cluster '" + clusterId
                                            + "' has DELTA policy '" + other.id + "' already: one capture per cluster; change that policy instead")));
            return oneDeltaPolicy.chain(() -> PolicyRecord.<PolicyRecord>findById(new PolicyRecord.Key(clusterId, id))).chain(existing -> {
                PolicyRecord policy = existing != null ? existing : new PolicyRecord();
                boolean wasBackupPolicy = existing != null && PolicyKind.valueOf(existing.kind).isBackupPolicy();
                policy.id = id;
                policy.clusterId = clusterId;
                policy.schedule = definition.schedule();
                policy.timeZone = definition.timeZone();
                policy.kind = definition.kind().name();
                policy.jitterSeconds = definition.jitterSeconds();
                policy.startingDeadlineSeconds = definition.startingDeadlineSeconds();
                policy.retention = json(definition.retention());
                policy.deltaMaxBytes = definition.deltaMaxBytes();
                policy.drillSnapshot = definition.drillSnapshot();
                Instant now = Instant.now();
                Schedule schedule = Schedule.parse(policy.schedule, policy.timeZone);
                policy.nextFireAt = !definition.kind().firesSlots() ? NEVER
                        : schedule.next(now.minusSeconds(policy.offsetSeconds())).orElse(NEVER).plusSeconds(policy.offsetSeconds());
                if (existing == null) {
                    policy.createdAt = now;
                }
                Uni<?> stored = existing == null ? policy.persist() : Uni.createFrom().item(policy);
                return stored.chain(() -> announce(policy, definition, wasBackupPolicy)).replaceWith(policy);
            });
        })).invoke(firing::wake);
    }

    /**
     * A backup policy is announced to snapshot-service and retention; a DRILL policy is not theirs — one that replaced a
     * backup policy of the same id is announced as that policy's deletion.
     */
    private Uni<Void> announce(PolicyRecord policy, Definition definition, boolean wasBackupPolicy) {
        if (!definition.kind().isBackupPolicy()) {
            return wasBackupPolicy ? outbox.emit(new BackupPolicyDeleted(policy.clusterId, policy.id)).replaceWithVoid() : Uni.createFrom().voidItem();
        }
        return outbox.emit(new BackupPolicySet(policy.clusterId, policy.id, policy.schedule, policy.timeZone, definition.kind().snapshotKind(),
                definition.jitter(), definition.retention(), definition.deltaMaxBytes())).replaceWithVoid();
    }

    public Uni<List<PolicyRecord>> list(String clusterId) {
        return Panache.withSession(() -> PolicyRecord.ofCluster(clusterId));
    }

    public Uni<Void> delete(String clusterId, String policyId) {
        return Panache.withTransaction(() -> PolicyRecord.of(clusterId, policyId).chain(policy -> {
                    if (policy == null) {
                        return Uni.createFrom().failure(new Clusters.RefusedException(Clusters.Refusal.UNKNOWN,
                                "cluster '" + clusterId + "' has no policy '" + policyId + "'"));
                    }
                    boolean backupPolicy = PolicyKind.valueOf(policy.kind).isBackupPolicy();
                    return policy.delete().chain(() -> backupPolicy ? outbox.emit(new BackupPolicyDeleted(clusterId, policyId)).replaceWithVoid()
                            : Uni.createFrom().voidItem());
                }));
    }

    /** A DRILL policy's snapshot selector as its slots send it: {@code latest} unless {@code undrilled} was set. */
    public static String drillSnapshot(PolicyRecord policy) {
        return policy.drillSnapshot == null ? RestoreRequested.LATEST : policy.drillSnapshot;
    }

    public static RetentionSpec retention(PolicyRecord policy) {
        try {
            return policy.retention == null ? null : EventCodec.json().readValue(policy.retention, RetentionSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the stored retention of policy '" + policy.id + "' is unreadable", e);
        }
    }

    private static String json(RetentionSpec retention) {
        try {
            return retention == null ? null : EventCodec.json().writeValueAsString(retention);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot store the retention settings", e);
        }
    }
}
