package dev.lifeboat.scheduler.cluster;

import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.BackupRejected;
import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.ReceivedEvent;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.scheduler.timeline.Timeline;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What the scheduler hears: one-time backup requests from any service, pause/resume requests from
 * restore-service, and how its restores progress (a cluster is resumed by hand only while none runs).
 * Each handler runs in the idempotent consumer's transaction.
 */
@ApplicationScoped
public class IncomingEvents {

    private static final String CONSUMER = "scheduler-service";

    private final EventConsumer events;
    private final Outbox outbox;
    private final Timeline timeline;

    public IncomingEvents(EventConsumer events, Outbox outbox, Timeline timeline) {
        this.events = events;
        this.outbox = outbox;
        this.timeline = timeline;
    }

    /**
     * A valid request becomes a SnapshotRequested whose request id derives from the requester's (or,
     * without one, from the event's id), so the same request twice is one backup; an unknown or paused
     * cluster gets a BackupRejected and nothing else.
     */
    /**
     * Every record of every Lifeboat topic, through one consumer ({@link EventConsumer#CHANNEL}): the scheduler's own
     * topics are handled first, then each record goes into the timeline.
     */
    @Incoming(EventConsumer.CHANNEL)
    public Uni<Void> onEvent(ConsumerRecord<String, byte[]> record) {
        Uni<Void> handled = switch (record.topic()) {
            case Topics.BACKUP_REQUESTS -> onBackupRequested(record);
            case Topics.CLUSTER_COMMANDS -> onClusterCommand(record);
            case Topics.RESTORE_EVENTS -> onRestoreEvent(record);
            default -> Uni.createFrom().voidItem(); // only the timeline's
        };
        return handled.chain(() -> timeline.record(record));
    }

    Uni<Void> onBackupRequested(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof BackupRequested request)) {
                return Uni.createFrom().voidItem();
            }
            String requestId = "backup-" + (request.requestId() != null ? request.requestId() : event.id().toString());
            return ClusterRecord.<ClusterRecord>findById(request.clusterId()).chain(cluster -> {
                if (cluster == null) {
                    return reject(requestId, request, "unknown-cluster: no cluster with id '" + request.clusterId() + "'");
                }
                if (cluster.paused) {
                    return reject(requestId, request, "paused: cluster '" + request.clusterId() + "' is paused"
                            + (cluster.pausedBy == null ? "" : " by restore " + cluster.pausedBy));
                }
                String reason = request.reason() == null ? "requested by " + request.requester() : request.reason();
                return outbox.emit(new SnapshotRequested(requestId, request.clusterId(), SnapshotKind.FULL, reason, null,
                        Instant.now())).replaceWithVoid();
            });
        });
    }

    private Uni<Void> reject(String requestId, BackupRequested request, String reason) {
        return outbox.emit(new BackupRejected(requestId, request.clusterId(), request.requester(), reason, Instant.now()))
                .replaceWithVoid();
    }

    /** Pauses and resumes clusters for restores, and acknowledges it. */
    Uni<Void> onClusterCommand(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, this::applyCommand);
    }

    private Uni<Void> applyCommand(ReceivedEvent<LifeboatEvent> event) {
        if (event.payload() instanceof ClusterPauseRequested pause) {
            return ClusterRecord.<ClusterRecord>findById(pause.clusterId()).chain(cluster -> {
                if (cluster != null) {
                    cluster.paused = true;
                    cluster.pausedBy = pause.restoreId();
                    cluster.updatedAt = Instant.now();
                }
                // Acknowledged even for an unknown cluster: nothing of it will run, and the restore must not wait.
                return outbox.emit(new ClusterPaused(pause.clusterId(), pause.restoreId())).replaceWithVoid();
            });
        }
        if (event.payload() instanceof ClusterResumeRequested resume) {
            return ClusterRecord.<ClusterRecord>findById(resume.clusterId()).chain(cluster -> {
                if (cluster != null) {
                    cluster.paused = false;
                    cluster.pausedBy = null;
                    cluster.updatedAt = Instant.now();
                }
                return outbox.emit(new ClusterResumed(resume.clusterId(), resume.restoreId(), null, null)).replaceWithVoid();
            });
        }
        return Uni.createFrom().voidItem();
    }

    /** Keeps the newest phase of every restore; an ended restore stays ended. */
    Uni<Void> onRestoreEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof RestorePhaseChanged changed)) {
                return Uni.createFrom().voidItem();
            }
            return RestoreProgress.<RestoreProgress>findById(changed.restoreId()).chain(known -> {
                if (known == null) {
                    RestoreProgress progress = new RestoreProgress();
                    progress.restoreId = changed.restoreId();
                    progress.clusterId = changed.clusterId();
                    progress.phase = changed.phase();
                    progress.updatedAt = changed.at();
                    return progress.persist().replaceWithVoid();
                }
                if (!known.phase.terminal()) {
                    known.phase = changed.phase();
                    known.updatedAt = changed.at();
                }
                return Uni.createFrom().voidItem();
            });
        });
    }
}
