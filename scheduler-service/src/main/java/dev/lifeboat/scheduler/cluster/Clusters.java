package dev.lifeboat.scheduler.cluster;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.lifeboat.events.ClusterDeleted;
import dev.lifeboat.events.ClusterRegistered;
import dev.lifeboat.events.ClusterResumed;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.ClusterUpdated;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.SnapshotRequested;
import dev.lifeboat.events.outbox.Outbox;
import io.opentelemetry.instrumentation.annotations.SpanAttribute;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Registered clusters. Every change is stored together with the event that tells the other services
 * (ClusterRegistered/Updated/Deleted) in one transaction.
 */
@ApplicationScoped
public class Clusters {

    /** Why a change was refused, for the API to answer with the right status. */
    public enum Refusal {
        DUPLICATE, UNKNOWN, PAUSED, RESTORING
    }

    /** A refused change. */
    public static class RefusedException extends RuntimeException {
        private final Refusal refusal;

        public RefusedException(Refusal refusal, String message) {
            super(message);
            this.refusal = refusal;
        }

        public Refusal refusal() {
            return refusal;
        }
    }

    private final Outbox outbox;

    public Clusters(Outbox outbox) {
        this.outbox = outbox;
    }

    @WithSpan("Clusters.register")
    public Uni<ClusterRecord> register(@SpanAttribute("lifeboat.cluster.id") String id, ClusterSpec spec) {
        return Panache.withTransaction(() -> ClusterRecord.<ClusterRecord>findById(id).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().failure(new RefusedException(Refusal.DUPLICATE, "a cluster with id '" + id + "' exists"));
            }
            ClusterRecord record = new ClusterRecord();
            record.id = id;
            record.spec = json(spec);
            record.createdAt = Instant.now();
            record.updatedAt = record.createdAt;
            return record.<ClusterRecord>persist().call(() -> outbox.emit(new ClusterRegistered(id, spec)));
        }));
    }

    @WithSpan("Clusters.update")
    public Uni<ClusterRecord> update(@SpanAttribute("lifeboat.cluster.id") String id, ClusterSpec spec) {
        return Panache.withTransaction(() -> find(id).chain(record -> {
            record.spec = json(spec);
            record.updatedAt = Instant.now();
            return outbox.emit(new ClusterUpdated(id, spec)).replaceWith(record);
        }));
    }

    @WithSpan("Clusters.delete")
    public Uni<Void> delete(@SpanAttribute("lifeboat.cluster.id") String id, boolean purgeSnapshots) {
        return Panache.withTransaction(() -> find(id)
                .call(record -> record.delete())
                .call(() -> outbox.emit(new ClusterDeleted(id, purgeSnapshots)))
                .replaceWithVoid());
    }

    public Uni<ClusterRecord> get(String id) {
        return Panache.withSession(() -> find(id));
    }

    public Uni<List<ClusterRecord>> list() {
        return Panache.withSession(() -> ClusterRecord.allById());
    }

    /** A one-time backup now: SnapshotRequested through the outbox; the request id is returned. */
    @WithSpan("Clusters.backupNow")
    public Uni<String> backupNow(@SpanAttribute("lifeboat.cluster.id") String id, String reason, String requester) {
        return Panache.withTransaction(() -> find(id).chain(record -> {
            if (record.paused) {
                return Uni.createFrom().failure(new RefusedException(Refusal.PAUSED, "cluster '" + id
                        + "' is paused" + (record.pausedBy == null ? "" : " by restore " + record.pausedBy) + "; backups wait for it to resume"));
            }
            String requestId = "once-" + Ids.newId();
            return outbox.emit(new SnapshotRequested(requestId, id, SnapshotKind.FULL,
                    reason == null || reason.isBlank() ? "one-time backup by " + requester : reason, null, Instant.now()))
                    .replaceWith(requestId);
        }));
    }

    /**
     * Resumes a paused cluster by hand — after a restore that failed and left it paused, once the operator has
     * looked. Refused while a restore of the cluster runs (it resumes the cluster itself when it ends). The
     * ClusterResumed event names who did it and why; a cluster that is not paused is left as it is.
     */
    @WithSpan("Clusters.resume")
    public Uni<ClusterRecord> resume(@SpanAttribute("lifeboat.cluster.id") String id, String reason, String requester) {
        return Panache.withTransaction(() -> find(id).chain(record -> {
            if (!record.paused) {
                return Uni.createFrom().item(record);
            }
            return RestoreProgress.running(id).chain(running -> {
                if (running != null) {
                    return Uni.createFrom().failure(new RefusedException(Refusal.RESTORING, "restore " + running.restoreId + " of cluster '" + id
                            + "' is running (" + running.phase + "); it resumes the cluster when it ends"));
                }
                record.paused = false;
                record.pausedBy = null;
                record.updatedAt = Instant.now();
                return outbox.emit(new ClusterResumed(id, null, requester, reason == null || reason.isBlank() ? null : reason)).replaceWith(record);
            });
        }));
    }

    private static Uni<ClusterRecord> find(String id) {
        return ClusterRecord.<ClusterRecord>findById(id).onItem().ifNull()
                .failWith(() -> new RefusedException(Refusal.UNKNOWN, "no cluster with id '" + id + "'"));
    }

    public static ClusterSpec spec(ClusterRecord record) {
        try {
            return EventCodec.json().readValue(record.spec, ClusterSpec.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the stored facts of cluster '" + record.id + "' are unreadable", e);
        }
    }

    private static String json(ClusterSpec spec) {
        try {
            return EventCodec.json().writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot store the cluster's facts", e);
        }
    }
}
