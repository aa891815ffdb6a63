package dev.lifeboat.retention.knowledge;

import java.time.Instant;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.BackupPolicyDeleted;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.MalformedEventException;
import dev.lifeboat.events.DrillEnded;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.projection.ClusterProjection;
import dev.lifeboat.retention.prune.RetentionRunner;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What retention-service hears: clusters and their policies' retention settings, completed and deleted
 * snapshots, and restores (whose snapshots are pinned while they run). Each handler runs inside the
 * idempotent consumer's transaction.
 */
@ApplicationScoped
public class IncomingEvents {

    private static final String CONSUMER = "retention-service";

    private final EventConsumer events;
    private final RetentionRunner runner;

    public IncomingEvents(EventConsumer events, RetentionRunner runner) {
        this.events = events;
        this.runner = runner;
    }

    /** Every record of the topics retention-service follows, through one consumer ({@link EventConsumer#CHANNEL}). */
    @Incoming(EventConsumer.CHANNEL)
    public Uni<Void> onEvent(ConsumerRecord<String, byte[]> record) {
        return switch (record.topic()) {
            case Topics.CLUSTER_EVENTS -> onClusterEvent(record);
            case Topics.SNAPSHOT_EVENTS -> onSnapshotEvent(record);
            case Topics.RESTORE_EVENTS -> onRestoreEvent(record);
            default -> EventConsumer.notFollowed(CONSUMER, record);
        };
    }

    Uni<Void> onClusterEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof BackupPolicySet set) {
                String json;
                try {
                    json = set.retention() == null ? null : EventCodec.json().writeValueAsString(set.retention());
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    // never processable: to the dead-letter topic, not tried again
                    return Uni.createFrom().failure(new MalformedEventException("retention of policy " + set.policyId() + " cannot be stored: "
                            + e.getOriginalMessage(), e));
                }
                return PolicyRecord.<PolicyRecord>findById(new PolicyRecord.Key(set.clusterId(), set.policyId())).chain(existing -> {
                    PolicyRecord policy = existing != null ? existing : new PolicyRecord();
                    policy.clusterId = set.clusterId();
                    policy.policyId = set.policyId();
                    policy.retention = json;
                    return existing != null ? Uni.createFrom().voidItem() : policy.persist().replaceWithVoid();
                });
            }
            if (event.payload() instanceof BackupPolicyDeleted deleted) {
                return PolicyRecord.forget(deleted.clusterId(), deleted.policyId());
            }
            return ClusterProjection.apply(event.payload(), ClusterRecord.class, ClusterRecord::new);
        });
    }

    Uni<Void> onSnapshotEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof SnapshotCompleted completed) {
                return SnapshotRecord.<SnapshotRecord>findById(completed.snapshotId()).chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    SnapshotRecord snapshot = new SnapshotRecord();
                    snapshot.fill(completed);
                    snapshot.state = SnapshotRecord.State.COMPLETED;
                    snapshot.updatedAt = Instant.now();
                    return snapshot.persist()
                            .chain(() -> OrphanRecord.forget(completed.bucket(), List.of(completed.objectKey())))
                            .invoke(() -> runner.requestRun(completed.clusterId())).replaceWithVoid();
                });
            }
            if (event.payload() instanceof SnapshotDeleted deleted) {
                return SnapshotRecord.markDeleted(deleted.snapshotId(), deleted.reason());
            }
            return Uni.createFrom().voidItem();
        });
    }

    Uni<Void> onRestoreEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof DrillEnded drill && drill.passed()) {
                return SnapshotRecord.<SnapshotRecord>findById(drill.snapshotId()).invoke(snapshot -> {
                    if (snapshot != null && (snapshot.verifiedAt == null || snapshot.verifiedAt.isBefore(drill.at()))) {
                        snapshot.verifiedAt = drill.at();
                    }
                }).replaceWithVoid();
            }
            if (!(event.payload() instanceof RestorePhaseChanged changed)) {
                return Uni.createFrom().voidItem();
            }
            if (changed.phase().terminal() || changed.snapshotId() == null) {
                return PinRecord.deleteById(changed.restoreId()).replaceWithVoid();
            }
            return PinRecord.<PinRecord>findById(changed.restoreId()).chain(existing -> {
                if (existing != null) {
                    return Uni.createFrom().voidItem();
                }
                PinRecord pin = new PinRecord();
                pin.restoreId = changed.restoreId();
                pin.snapshotId = changed.snapshotId();
                pin.clusterId = changed.clusterId();
                return pin.persist().replaceWithVoid();
            });
        });
    }
}
