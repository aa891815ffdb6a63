package dev.lifeboat.snapshot.catalog;

import java.time.Instant;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.BackupPolicyDeleted;
import dev.lifeboat.events.BackupPolicySet;
import dev.lifeboat.events.ClusterPaused;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.DrillEnded;
import dev.lifeboat.events.Durations;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.MalformedEventException;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.snapshot.SnapshotMetrics;
import dev.lifeboat.snapshot.delta.DeltaCapture;
import dev.lifeboat.snapshot.delta.DeltaPolicyRecord;
import dev.lifeboat.snapshot.stream.SnapshotRunner;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.Topics;
import dev.lifeboat.events.runtime.Traces;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.projection.ClusterProjection;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What snapshot-service hears: cluster facts, snapshot requests, and deletions by retention. Each
 * handler runs inside the idempotent consumer's transaction; once it committed, whoever may now have work is
 * woken: the snapshot runner by a request or a cluster fact, the delta capture by a cluster fact or a snapshot event.
 */
@ApplicationScoped
public class IncomingEvents {

    private static final String CONSUMER = "snapshot-service";

    private final EventConsumer events;
    private final SnapshotRunner runner;
    private final DeltaCapture capture;
    private final SnapshotMetrics metrics;

    public IncomingEvents(EventConsumer events, SnapshotRunner runner, DeltaCapture capture, SnapshotMetrics metrics) {
        this.events = events;
        this.runner = runner;
        this.capture = capture;
        this.metrics = metrics;
    }

    /** A cluster fact or policy committed: waiting snapshot requests and the delta capture may have something to do. */
    private void clusterChanged() {
        runner.wake();
        capture.wake();
    }

    /** Every record of the topics snapshot-service follows, through one consumer ({@link EventConsumer#CHANNEL}). */
    @Incoming(EventConsumer.CHANNEL)
    public Uni<Void> onEvent(ConsumerRecord<String, byte[]> record) {
        return switch (record.topic()) {
            case Topics.CLUSTER_EVENTS -> onClusterEvent(record);
            case Topics.SNAPSHOT_REQUESTS -> onSnapshotRequested(record);
            case Topics.SNAPSHOT_EVENTS -> onSnapshotEvent(record);
            case Topics.RESTORE_EVENTS -> onRestoreEvent(record);
            default -> EventConsumer.notFollowed(CONSUMER, record);
        };
    }

    Uni<Void> onClusterEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            LifeboatEvent payload = event.payload();
            if (payload instanceof ClusterPaused paused) {
                return ClusterRecord.paused(paused.clusterId(), true);
            }
            if (payload instanceof ClusterResumed resumed) {
                return ClusterRecord.paused(resumed.clusterId(), false);
            }
            if (payload instanceof BackupPolicySet policy) {
                return policy.kind() == SnapshotKind.DELTA ? deltaPolicy(policy)
                        : DeltaPolicyRecord.forget(policy.clusterId(), policy.policyId());
            }
            if (payload instanceof BackupPolicyDeleted deleted) {
                return DeltaPolicyRecord.forget(deleted.clusterId(), deleted.policyId());
            }
            return ClusterProjection.apply(payload, ClusterRecord.class, ClusterRecord::new);
        }).invoke(this::clusterChanged);
    }

    /** The cluster's one DELTA policy: its period ({@code @every <duration>}) and size threshold. */
    private static Uni<Void> deltaPolicy(BackupPolicySet policy) {
        String schedule = policy.schedule().trim();
        java.time.Duration every = schedule.startsWith("@every ") ? Durations.read(schedule.substring("@every ".length())) : null;
        if (every == null) {
            return Uni.createFrom().failure(new MalformedEventException("DELTA policy " + policy.policyId() + " of cluster " + policy.clusterId()
                    + " has schedule '" + policy.schedule() + "', not '@every <duration>'"));
        }
        return DeltaPolicyRecord.<DeltaPolicyRecord>findById(policy.clusterId()).chain(existing -> {
            DeltaPolicyRecord record = existing != null ? existing : new DeltaPolicyRecord();
            record.clusterId = policy.clusterId();
            record.policyId = policy.policyId();
            record.periodSeconds = Math.max(1, every.getSeconds());
            record.maxBytes = policy.deltaMaxBytes() == null ? 100L << 20 : policy.deltaMaxBytes();
            return existing != null ? Uni.createFrom().voidItem() : record.persist().replaceWithVoid();
        });
    }

    Uni<Void> onSnapshotRequested(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof SnapshotRequested request)) {
                return Uni.createFrom().voidItem();
            }
            return SnapshotEntry.requested(request.requestId()).chain(known -> {
                if (known) {
                    Log.debugf("snapshot request %s is known; the same request twice is one snapshot", request.requestId());
                    return Uni.createFrom().voidItem();
                }
                SnapshotEntry entry = new SnapshotEntry();
                entry.id = Ids.newId();
                entry.requestId = request.requestId();
                entry.clusterId = request.clusterId();
                entry.kind = request.kind();
                entry.phase = SnapshotPhase.PENDING;
                entry.requestedAt = Instant.now();
                entry.traceparent = Traces.current();
                return entry.persist().replaceWithVoid();
            });
        }).invoke(runner::wake);
    }

    /** restore-service's drill verdicts, recorded on the snapshot (a newer verdict wins; a drill no agent ran is none). */
    Uni<Void> onRestoreEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof DrillEnded drill) || !drill.judgesSnapshot()) {
                return Uni.createFrom().voidItem();
            }
            return SnapshotEntry.<SnapshotEntry>findById(drill.snapshotId()).invoke(entry -> {
                if (entry == null || (entry.drilledAt != null && entry.drilledAt.isAfter(drill.at()))) {
                    return;
                }
                entry.drillId = drill.drillId();
                entry.drillVerdict = drill.passed() ? "PASSED" : "FAILED";
                entry.drillReason = drill.passed() ? null : drill.reason();
                entry.drilledAt = drill.at();
                if (drill.passed()) {
                    entry.verifiedAt = drill.at();
                }
            }).replaceWithVoid();
        });
    }

    Uni<Void> onSnapshotEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof SnapshotDeleted deleted)) {
                return Uni.createFrom().voidItem();
            }
            return SnapshotEntry.<SnapshotEntry>findById(deleted.snapshotId()).invoke(entry -> {
                if (entry != null) {
                    entry.phase = SnapshotPhase.DELETED;
                    entry.reason = deleted.reason();
                }
            }).replaceWithVoid();
        }).invoke(capture::wake) // a stored full snapshot may be the base a waiting chain needs
                .invoke(metrics::catalogChanged); // completed or deleted, maybe by another replica
    }
}
