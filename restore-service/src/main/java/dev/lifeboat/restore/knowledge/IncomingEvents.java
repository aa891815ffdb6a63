package dev.lifeboat.restore.knowledge;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.DeltaGapDetected;
import dev.lifeboat.events.DrillCompleted;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberRestored;
import dev.lifeboat.events.MemberRolledBack;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotFound;
import dev.lifeboat.events.SnapshotMissing;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.projection.ClusterProjection;
import dev.lifeboat.restore.drill.Drills;
import dev.lifeboat.restore.saga.RestoreRefusedException;
import dev.lifeboat.restore.saga.MemberCommands;
import dev.lifeboat.restore.saga.RestoreRequests;
import dev.lifeboat.restore.saga.RestoreSaga;
import dev.lifeboat.restore.saga.Restores;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What restore-service hears: cluster facts and the scheduler's pause/resume acknowledgements,
 * completed, deleted, missing and found snapshots, restore requests from Kafka, and the etcd-agents' answers. Each handler runs inside the
 * idempotent consumer's transaction.
 */
@ApplicationScoped
public class IncomingEvents {

    private static final String CONSUMER = "restore-service";

    private final EventConsumer events;
    private final Restores restores;
    private final RestoreRequests requests;
    private final MemberCommands members;
    private final Drills drills;
    private final RestoreSaga saga;

    public IncomingEvents(EventConsumer events, Restores restores, RestoreRequests requests, MemberCommands members, Drills drills,
            RestoreSaga saga) {
        this.saga = saga;
        this.drills = drills;
        this.events = events;
        this.restores = restores;
        this.requests = requests;
        this.members = members;
    }

    /** Every record of the topics restore-service follows, through one consumer ({@link EventConsumer#CHANNEL}). */
    @Incoming(EventConsumer.CHANNEL)
    public Uni<Void> onEvent(ConsumerRecord<String, byte[]> record) {
        return switch (record.topic()) {
            case Topics.CLUSTER_EVENTS -> onClusterEvent(record);
            case Topics.SNAPSHOT_EVENTS -> onSnapshotEvent(record);
            case Topics.AGENT_EVENTS -> onAgentEvent(record);
            case Topics.RESTORE_REQUESTS -> onRestoreRequested(record);
            default -> EventConsumer.notFollowed(CONSUMER, record);
        };
    }

    Uni<Void> onClusterEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof ClusterPaused paused && paused.restoreId() != null) {
                return restores.acknowledge(paused.restoreId(), true);
            }
            if (event.payload() instanceof ClusterResumed resumed && resumed.restoreId() != null) {
                return restores.acknowledge(resumed.restoreId(), false);
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
                    snapshot.storedSha256 = completed.storedSha256();
                    snapshot.rawSha256 = completed.rawSha256();
                    snapshot.compression = completed.compression() == null ? "none" : completed.compression();
                    snapshot.encryptionKeyId = completed.encryptionKeyId();
                    snapshot.rawSize = completed.rawSize();
                    if (completed.keyspace() != null) {
                        snapshot.kvHash = completed.keyspace().hash();
                        snapshot.kvHashCompactRevision = completed.keyspace().compactRevision();
                        snapshot.keyCount = completed.keyspace().keys();
                    }
                    return snapshot.persist().replaceWithVoid();
                });
            }
            if (event.payload() instanceof SnapshotDeleted deleted) {
                return SnapshotRecord.markDeleted(deleted.snapshotId());
            }
            if (event.payload() instanceof SnapshotMissing missing) {
                return SnapshotRecord.markMissing(missing.snapshotId(), missing.reason() == null ? "its object is gone from the bucket"
                        : missing.reason(), true);
            }
            if (event.payload() instanceof SnapshotFound found) {
                return SnapshotRecord.markMissing(found.snapshotId(), null, false);
            }
            if (event.payload() instanceof DeltaGapDetected gap) {
                return DeltaGapRecord.<DeltaGapRecord>findById(gap.chainId()).chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().voidItem();
                    }
                    DeltaGapRecord recorded = new DeltaGapRecord();
                    recorded.chainId = gap.chainId();
                    recorded.clusterId = gap.clusterId();
                    recorded.lastRevision = gap.lastRevision();
                    recorded.compactRevision = gap.compactRevision();
                    recorded.reason = gap.reason();
                    recorded.detectedAt = gap.detectedAt();
                    return recorded.persist().replaceWithVoid();
                });
            }
            return Uni.createFrom().voidItem();
        });
    }

    /** The etcd-agents' answers to RestoreMember and RollbackMember, which the saga waits for, and their drill verdicts. */
    Uni<Void> onAgentEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof MemberRestored restored) {
                return members.memberAnswered(restored.restoreId(), restored.memberName(), true, restored.revision(), restored.revisionBumped(),
                        restored.note(), null, true);
            }
            if (event.payload() instanceof MemberRestoreFailed failed) {
                return members.memberAnswered(failed.restoreId(), failed.memberName(), false, null, null, null, failed.reason(),
                        !Boolean.FALSE.equals(failed.dataChanged()));
            }
            if (event.payload() instanceof DrillCompleted completed) {
                return drills.completed(completed);
            }
            if (event.payload() instanceof DrillFailed failed) {
                return drills.failed(failed);
            }
            if (event.payload() instanceof MemberRolledBack rolledBack) {
                return members.memberRolledBack(rolledBack.restoreId(), rolledBack.memberName(), rolledBack.succeeded(), rolledBack.reason());
            }
            return Uni.createFrom().voidItem();
        });
    }

    Uni<Void> onRestoreRequested(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (event.payload() instanceof DrillRequested drill) {
                return drills.requested(drill);
            }
            if (!(event.payload() instanceof RestoreRequested request)) {
                return Uni.createFrom().voidItem();
            }
            return requests.request(request).replaceWithVoid()
                    .onFailure(RestoreRefusedException.class).recoverWithUni(e -> requests.recordRefusal(request, e.getMessage()));
        }).invoke(saga::wake);
    }
}
