package dev.lifeboat.snapshot.catalog;

import java.time.Instant;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.consumer.EventConsumer;
import dev.lifeboat.events.projection.ClusterProjection;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * What snapshot-service hears: cluster facts, snapshot requests, and deletions by retention. Each
 * handler runs inside the idempotent consumer's transaction.
 */
@ApplicationScoped
public class IncomingEvents {

    public static final String CLUSTER_EVENTS = "cluster-events";
    public static final String SNAPSHOT_REQUESTS = "snapshot-requests";
    public static final String SNAPSHOT_EVENTS = "snapshot-events";
    private static final String CONSUMER = "snapshot-service";

    private final EventConsumer events;

    public IncomingEvents(EventConsumer events) {
        this.events = events;
    }

    @Incoming(CLUSTER_EVENTS)
    public Uni<Void> onClusterEvent(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> ClusterProjection.apply(event.payload(), ClusterRecord.class, ClusterRecord::new));
    }

    @Incoming(SNAPSHOT_REQUESTS)
    public Uni<Void> onSnapshotRequested(ConsumerRecord<String, byte[]> record) {
        return events.consume(CONSUMER, record, event -> {
            if (!(event.payload() instanceof SnapshotRequested request)) {
                return Uni.createFrom().voidItem();
            }
            return SnapshotEntry.count("requestId", request.requestId()).chain(known -> {
                if (known > 0) {
                    Log.debugf("snapshot request %s is known; the same request twice is one snapshot", request.requestId());
                    return Uni.createFrom().voidItem();
                }
                SnapshotEntry entry = new SnapshotEntry();
                entry.id = newSnapshotId();
                entry.requestId = request.requestId();
                entry.clusterId = request.clusterId();
                entry.kind = request.kind();
                entry.phase = SnapshotPhase.PENDING;
                entry.requestedAt = Instant.now();
                return entry.persist().replaceWithVoid();
            });
        });
    }

    @Incoming(SNAPSHOT_EVENTS)
    public Uni<Void> onSnapshotEvent(ConsumerRecord<String, byte[]> record) {
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
        });
    }

    /** 16 hex digits, random: short enough for object names, unique in practice. */
    static String newSnapshotId() {
        return Long.toHexString(UUID.randomUUID().getMostSignificantBits() | Long.MIN_VALUE).substring(0, 16);
    }
}
