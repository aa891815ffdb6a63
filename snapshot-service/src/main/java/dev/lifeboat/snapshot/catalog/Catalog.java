package dev.lifeboat.snapshot.catalog;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.SnapshotCoalesced;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotFailed;
import dev.lifeboat.events.SnapshotStarted;
import dev.lifeboat.events.runtime.Traces;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.snapshot.SnapshotMetrics;
import dev.lifeboat.snapshot.delta.ChainRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every change of a catalog entry, each with its event in the same transaction. Claims make sure one
 * instance works on a snapshot and one snapshot per cluster runs at a time, across replicas.
 */
@ApplicationScoped
public class Catalog {

    private static final String CANDIDATES = """
            select s.id from snapshot s
            where (s.phase = 'PENDING' or (s.phase = 'RUNNING' and s.claimed_until < now()))
              and not exists (select 1 from cluster c where c.id = s.cluster_id and c.paused)
            order by s.requested_at limit 20 for update skip locked""";

    private final Outbox outbox;
    private final SnapshotMetrics metrics;

    public Catalog(Outbox outbox, SnapshotMetrics metrics) {
        this.outbox = outbox;
        this.metrics = metrics;
    }

    /** A claimed snapshot and the connection facts of its cluster. */
    public record Claim(String snapshotId, String requestId, String clusterId, ClusterSpec spec, int attempt, Instant startedAt,
            String bucket, String stagingKey, String uploadId, String traceparent) {
    }

    /**
     * Claims the oldest pending (or abandoned) snapshot whose cluster has none running and is not paused by a
     * restore, for {@code owner} until {@code until}. The cluster's other pending requests are coalesced into it:
     * it starts after each of them was made, so it answers them all (after a pause or an outage, one backup, not
     * one per missed slot). Requests for clusters still unknown after {@code grace} fail here.
     */
    public Uni<Claim> claimNext(String owner, Duration claimDuration, Duration grace) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(CANDIDATES, String.class).getResultList())
                .chain(ids -> tryClaim(ids, 0, owner, claimDuration, grace)));
    }

    private Uni<Claim> tryClaim(List<String> ids, int index, String owner, Duration claimDuration, Duration grace) {
        if (index >= ids.size()) {
            return Uni.createFrom().nullItem();
        }
        return SnapshotEntry.<SnapshotEntry>findById(ids.get(index)).chain(entry -> SnapshotEntry
                .otherRunning(entry.clusterId, entry.id)
                .chain(running -> running
                        ? tryClaim(ids, index + 1, owner, claimDuration, grace)
                        : ClusterRecord.<ClusterRecord>findById(entry.clusterId).chain(cluster -> {
                            if (cluster == null || cluster.deleted) {
                                if (entry.requestedAt.plus(grace).isBefore(Instant.now())) {
                                    metrics.failed(entry.clusterId, "full", Duration.between(entry.requestedAt, Instant.now()), "unknown-cluster");
                                    return fail(entry, "cluster '" + entry.clusterId + "' is not registered with Lifeboat")
                                            .chain(() -> tryClaim(ids, index + 1, owner, claimDuration, grace));
                                }
                                return tryClaim(ids, index + 1, owner, claimDuration, grace);
                            }
                            return claim(entry, cluster, owner, claimDuration);
                        })));
    }

    private Uni<Claim> claim(SnapshotEntry entry, ClusterRecord cluster, String owner, Duration claimDuration) {
        ClusterSpec spec;
        try {
            spec = EventCodec.json().readValue(cluster.spec, ClusterSpec.class);
        } catch (Exception e) {
            return fail(entry, "the stored facts of cluster '" + entry.clusterId + "' are unreadable").replaceWith((Claim) null);
        }
        boolean first = entry.startedAt == null;
        entry.phase = SnapshotPhase.RUNNING;
        entry.attempts++;
        entry.claimedBy = owner;
        entry.claimedUntil = Instant.now().plus(claimDuration);
        if (first) {
            entry.startedAt = Instant.now();
        }
        Claim claim = new Claim(entry.id, entry.requestId, entry.clusterId, spec, entry.attempts, entry.startedAt, entry.bucket,
                entry.stagingKey, entry.uploadId, entry.traceparent);
        Uni<?> started = first
                ? outbox.emit(new SnapshotStarted(entry.id, entry.requestId, entry.clusterId, entry.kind, null, entry.startedAt),
                        Traces.parent(entry.traceparent))
                : Uni.createFrom().voidItem();
        return started.chain(() -> coalesceInto(entry)).replaceWith(claim);
    }

    /** Ends the cluster's other pending requests as answered by {@code running}, each with its event. */
    private Uni<Void> coalesceInto(SnapshotEntry running) {
        return SnapshotEntry.otherPending(running.clusterId, running.kind, running.id).chain(others -> {
            Uni<Void> chain = Uni.createFrom().voidItem();
            for (SnapshotEntry other : others) {
                other.phase = SnapshotPhase.COALESCED;
                other.coalescedInto = running.id;
                other.completedAt = Instant.now();
                other.reason = "coalesced into snapshot " + running.id + ", which started after this request was made";
                Log.infof("snapshot request %s of cluster %s is answered by snapshot %s", other.requestId, other.clusterId, running.id);
                chain = chain.chain(() -> outbox.emit(new SnapshotCoalesced(other.id, other.requestId, other.clusterId, running.id,
                        other.completedAt), Traces.parent(other.traceparent)).replaceWithVoid());
            }
            return chain;
        });
    }

    /** Keeps the claim alive while the snapshot runs. */
    public Uni<Boolean> extend(String snapshotId, String owner, Duration claimDuration) {
        return Panache.withTransaction(() -> SnapshotEntry.extendClaim(snapshotId, owner, Instant.now().plus(claimDuration)));
    }

    /** Remembers where the stream goes, so that a crash can clean up the unfinished upload. */
    public Uni<Void> recordUpload(String snapshotId, String owner, String bucket, String stagingKey, String uploadId) {
        return Panache.withTransaction(() -> SnapshotEntry.recordUpload(snapshotId, owner, bucket, stagingKey, uploadId));
    }

    /**
     * Marks the snapshot Completed and announces it, naming the delta capture chain that runs for its
     * cluster, if any: the chain's deltas may extend this snapshot.
     */
    public Uni<Void> complete(String snapshotId, String owner, SnapshotCompleted result) {
        return Panache.withTransaction(() -> SnapshotEntry.<SnapshotEntry>findById(snapshotId).chain(entry -> {
            if (entry == null || entry.phase != SnapshotPhase.RUNNING || !owner.equals(entry.claimedBy)) {
                Log.warnf("snapshot %s is no longer claimed by this instance; its result is dropped", snapshotId);
                return Uni.createFrom().voidItem();
            }
            return ChainRecord.activeOf(entry.clusterId)
                    .chain(chain -> complete(entry, chain == null ? result : withChain(result, chain.id)));
        }));
    }

    private static SnapshotCompleted withChain(SnapshotCompleted r, String chainId) {
        return new SnapshotCompleted(r.snapshotId(), r.requestId(), r.clusterId(), r.kind(), r.revision(), r.firstRevision(), r.bucket(),
                r.objectKey(), r.rawSize(), r.storedSize(), r.rawSha256(), r.storedSha256(), r.compression(), r.encryptionKeyId(), r.etcdVersion(),
                r.startedAt(), r.completedAt(), chainId, r.delta(), r.keyspace());
    }

    private Uni<Void> complete(SnapshotEntry entry, SnapshotCompleted facts) {
        entry.phase = SnapshotPhase.COMPLETED;
        entry.completedAt = facts.completedAt();
        entry.etcdVersion = facts.etcdVersion();
        entry.bucket = facts.bucket();
        entry.objectKey = facts.objectKey();
        entry.compression = facts.compression();
        entry.encryptionKeyId = facts.encryptionKeyId();
        entry.rawSize = facts.rawSize();
        entry.storedSize = facts.storedSize();
        entry.rawSha256 = facts.rawSha256();
        entry.storedSha256 = facts.storedSha256();
        entry.revision = facts.revision();
        entry.chainId = facts.chainId();
        entry.keyspace(facts.keyspace());
        entry.uploadId = null;
        entry.claimedBy = null;
        entry.claimedUntil = null;
        return outbox.emit(facts).replaceWithVoid();
    }

    /** Marks the snapshot Failed with a reason a person understands, and announces it. */
    public Uni<Void> fail(String snapshotId, String owner, String reason) {
        return Panache.withTransaction(() -> SnapshotEntry.<SnapshotEntry>findById(snapshotId).chain(entry -> {
            if (entry == null || entry.phase != SnapshotPhase.RUNNING || !owner.equals(entry.claimedBy)) {
                return Uni.createFrom().voidItem();
            }
            return fail(entry, reason);
        }));
    }

    private Uni<Void> fail(SnapshotEntry entry, String reason) {
        entry.phase = SnapshotPhase.FAILED;
        entry.reason = reason;
        entry.completedAt = Instant.now();
        entry.uploadId = null;
        entry.claimedBy = null;
        entry.claimedUntil = null;
        Log.warnf("snapshot %s of cluster %s failed: %s", entry.id, entry.clusterId, reason);
        return outbox.emit(new SnapshotFailed(entry.id, entry.requestId, entry.clusterId, reason, entry.completedAt)).replaceWithVoid();
    }

    /** The endpoint a running snapshot streams from, for the catalog. */
    public Uni<Void> recordSource(String snapshotId, String endpoint, String etcdClusterId) {
        return Panache.withTransaction(() -> SnapshotEntry.recordSource(snapshotId, endpoint, etcdClusterId));
    }
}
