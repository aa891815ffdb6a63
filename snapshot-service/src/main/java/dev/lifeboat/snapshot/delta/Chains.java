package dev.lifeboat.snapshot.delta;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.DeltaGapDetected;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.snapshot.catalog.ClusterRecord;
import dev.lifeboat.snapshot.catalog.SnapshotEntry;
import dev.lifeboat.snapshot.catalog.SnapshotPhase;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;

/**
 * Every change of a capture chain, each in one transaction with its events. The chain row is the
 * arbiter between replicas: a delta is stored only if it continues the chain exactly where the chain
 * stands ({@link #append}), so two instances that briefly watch the same cluster during a rebalance
 * can never store overlapping deltas or leave a hole.
 */
@ApplicationScoped
public class Chains {

    private final Outbox outbox;

    public Chains(Outbox outbox) {
        this.outbox = outbox;
    }

    /** A cluster the capture must look at: it has a DELTA policy, or an open chain to close. */
    public record Target(String clusterId, ClusterSpec spec, boolean clusterGone, boolean paused, Instant resumedAt,
            DeltaPolicyRecord policy, ChainRecord chain) {
    }

    /** The chain moved on under this instance (another one stored a delta, or ended it): drop what was buffered. */
    public static final class ContinuityLostException extends RuntimeException {
        ContinuityLostException(String message) {
            super(message);
        }
    }

    /** Every cluster with a DELTA policy or an open chain, with its cluster facts and open chain. */
    public Uni<List<Target>> targets() {
        return Panache.withSession(() -> DeltaPolicyRecord.<DeltaPolicyRecord>listAll()
                .chain(policies -> ChainRecord.open().chain(chains -> {
                    Map<String, DeltaPolicyRecord> policyOf = new HashMap<>();
                    policies.forEach(p -> policyOf.put(p.clusterId, p));
                    Map<String, ChainRecord> chainOf = new HashMap<>();
                    chains.forEach(c -> chainOf.put(c.clusterId, c));
                    List<String> ids = new ArrayList<>(policyOf.keySet());
                    chainOf.keySet().stream().filter(id -> !policyOf.containsKey(id)).forEach(ids::add);
                    if (ids.isEmpty()) {
                        return Uni.createFrom().item(List.<Target>of());
                    }
                    return ClusterRecord.withIds(ids).map(clusters -> {
                        Map<String, ClusterRecord> clusterOf = new HashMap<>();
                        clusters.forEach(c -> clusterOf.put(c.id, c));
                        List<Target> targets = new ArrayList<>();
                        for (String id : ids) {
                            ClusterRecord cluster = clusterOf.get(id);
                            boolean gone = cluster == null || cluster.deleted;
                            targets.add(new Target(id, gone ? null : cluster.spec(), gone, !gone && cluster.paused,
                                    gone ? null : cluster.resumedAt, policyOf.get(id), chainOf.get(id)));
                        }
                        return targets;
                    });
                })));
    }

    /**
     * Opens a WAITING chain for the cluster (unless one is open): its base will be a full snapshot that
     * started at or after {@code baseAfter}, asked for once {@code requestAfter} passed without one.
     */
    public Uni<ChainRecord> open(String clusterId, Instant baseAfter, Instant requestAfter) {
        return Panache.withTransaction(() -> ChainRecord.openOf(clusterId).chain(existing -> {
                    if (existing != null) {
                        return Uni.createFrom().item(existing);
                    }
                    ChainRecord chain = new ChainRecord();
                    chain.id = Ids.newId();
                    chain.clusterId = clusterId;
                    chain.state = ChainRecord.State.WAITING;
                    chain.baseAfter = baseAfter;
                    chain.requestAfter = requestAfter;
                    chain.createdAt = Instant.now();
                    Log.infof("delta capture of cluster %s: chain %s waits for a full snapshot started after %s", clusterId, chain.id, baseAfter);
                    return chain.persist();
                }));
    }

    /**
     * A WAITING chain becomes ACTIVE on the newest Completed full snapshot that started at or after its
     * {@code baseAfter}; otherwise, once {@code requestAfter} passed and no full snapshot is on its way,
     * one is requested (again every {@code retry}). Returns the chain as it is then.
     */
    public Uni<ChainRecord> startOrRequestBase(String chainId, Duration retry) {
        return Panache.withTransaction(() -> ChainRecord.<ChainRecord>findById(chainId, LockModeType.PESSIMISTIC_WRITE).chain(chain -> {
            if (chain == null || chain.state != ChainRecord.State.WAITING) {
                return Uni.createFrom().item(chain);
            }
            Instant after = chain.baseAfter == null ? Instant.EPOCH : chain.baseAfter;
            return SnapshotEntry.newestFullSince(chain.clusterId, after).chain(base -> {
                        if (base != null) {
                            chain.state = ChainRecord.State.ACTIVE;
                            chain.baseSnapshotId = base.id;
                            chain.baseRevision = base.revision;
                            chain.lastRevision = base.revision;
                            chain.activatedAt = Instant.now();
                            Log.infof("delta capture of cluster %s: chain %s starts after full snapshot %s at revision %d", chain.clusterId,
                                    chain.id, base.id, base.revision);
                            return Uni.createFrom().item(chain);
                        }
                        Instant now = Instant.now();
                        boolean due = chain.requestAfter == null || !now.isBefore(chain.requestAfter);
                        boolean retryDue = chain.baseRequestedAt == null || chain.baseRequestedAt.plus(retry).isBefore(now);
                        if (!due || !retryDue) {
                            return Uni.createFrom().item(chain);
                        }
                        return SnapshotEntry.fullComing(chain.clusterId, after).chain(coming -> {
                                    if (coming && chain.baseRequestedAt == null) {
                                        return Uni.createFrom().item(chain);
                                    }
                                    chain.baseRequests++;
                                    chain.baseRequestedAt = now;
                                    String requestId = "delta-base-" + chain.id + "-" + chain.baseRequests;
                                    Log.infof("delta capture of cluster %s: chain %s asks for a full snapshot to start from (%s)", chain.clusterId,
                                            chain.id, requestId);
                                    return outbox.emit(new BackupRequested(chain.clusterId, "the base of delta capture chain " + chain.id,
                                            "snapshot-service", requestId)).replaceWith(chain);
                                });
                    });
        }));
    }

    /** Ends an open chain (paused, capture turned off, cluster gone); its deltas stay restorable. */
    public Uni<Void> end(String chainId, String reason) {
        return Panache.withTransaction(() -> ChainRecord.<ChainRecord>findById(chainId, LockModeType.PESSIMISTIC_WRITE).invoke(chain -> {
            if (chain != null && chain.state != ChainRecord.State.ENDED) {
                close(chain, reason);
            }
        }).replaceWithVoid());
    }

    /**
     * Changes after the chain's last revision are lost (etcd compacted them before the capture read them)
     * or belong to another history (etcd's data was replaced): the chain ends, {@code DeltaGapDetected}
     * says so, and a new chain asks for a full snapshot at once.
     */
    public Uni<Void> gap(String chainId, Long compactRevision, String reason) {
        return Panache.withTransaction(() -> ChainRecord.<ChainRecord>findById(chainId, LockModeType.PESSIMISTIC_WRITE).chain(chain -> {
            if (chain == null || chain.state != ChainRecord.State.ACTIVE) {
                return Uni.createFrom().voidItem();
            }
            close(chain, reason);
            Instant now = Instant.now();
            Log.warnf("delta capture of cluster %s lost changes after revision %d: %s", chain.clusterId, chain.lastRevision, reason);
            ChainRecord next = new ChainRecord();
            next.id = Ids.newId();
            next.clusterId = chain.clusterId;
            next.state = ChainRecord.State.WAITING;
            next.baseAfter = now;
            next.requestAfter = now;
            next.createdAt = now;
            return outbox.emit(new DeltaGapDetected(chain.clusterId, chain.id, chain.lastRevision, compactRevision, reason, now))
                    .chain(() -> Panache.getSession().chain(session -> session.flush()))
                    .chain(() -> next.persist()).replaceWithVoid();
        }));
    }

    private static void close(ChainRecord chain, String reason) {
        chain.state = ChainRecord.State.ENDED;
        chain.endReason = reason;
        chain.endedAt = Instant.now();
        Log.infof("delta capture of cluster %s: chain %s ended at revision %s: %s", chain.clusterId, chain.id, chain.lastRevision, reason);
    }

    /**
     * Stores a delta that continues the chain: its entry (Completed), the chain's new last revision and
     * its {@code SnapshotCompleted}, in one transaction — or, when the chain stands elsewhere or ended,
     * nothing, and {@link ContinuityLostException}.
     */
    public Uni<Void> append(SnapshotCompleted delta) {
        return Panache.withTransaction(() -> ChainRecord.<ChainRecord>findById(delta.chainId(), LockModeType.PESSIMISTIC_WRITE).chain(chain -> {
            long after = delta.firstRevision() - 1;
            if (chain == null || chain.state != ChainRecord.State.ACTIVE || chain.lastRevision == null || chain.lastRevision != after) {
                return Uni.createFrom().failure(new ContinuityLostException("chain " + delta.chainId() + " of cluster " + delta.clusterId()
                        + (chain == null ? " is unknown" : " is " + chain.state + " at revision " + chain.lastRevision)
                        + ", not at revision " + after + " where delta " + delta.snapshotId() + " continues it"));
            }
            chain.lastRevision = delta.revision();
            chain.lastEventAt = delta.delta().lastEventAt();
            chain.deltas++;
            SnapshotEntry entry = new SnapshotEntry();
            entry.id = delta.snapshotId();
            entry.requestId = "delta-" + delta.snapshotId();
            entry.clusterId = delta.clusterId();
            entry.kind = SnapshotKind.DELTA;
            entry.phase = SnapshotPhase.COMPLETED;
            entry.requestedAt = delta.startedAt();
            entry.startedAt = delta.startedAt();
            entry.completedAt = delta.completedAt();
            entry.bucket = delta.bucket();
            entry.objectKey = delta.objectKey();
            entry.compression = delta.compression();
            entry.encryptionKeyId = delta.encryptionKeyId();
            entry.etcdVersion = delta.etcdVersion();
            entry.rawSize = delta.rawSize();
            entry.storedSize = delta.storedSize();
            entry.rawSha256 = delta.rawSha256();
            entry.storedSha256 = delta.storedSha256();
            entry.revision = delta.revision();
            entry.firstRevision = delta.firstRevision();
            entry.chainId = delta.chainId();
            entry.baseSnapshotId = delta.delta().baseSnapshotId();
            entry.eventCount = delta.delta().events();
            entry.firstEventAt = delta.delta().firstEventAt();
            entry.lastEventAt = delta.delta().lastEventAt();
            entry.keyspace(delta.keyspace());
            entry.attempts = 1;
            return entry.persist().chain(() -> outbox.emit(delta)).replaceWithVoid();
        }));
    }

    public Uni<ChainRecord> load(String chainId) {
        return Panache.withSession(() -> ChainRecord.<ChainRecord>findById(chainId));
    }

    /** A cluster's chains, newest first. */
    public Uni<List<ChainRecord>> history(String clusterId, int limit) {
        return Panache.withSession(() -> ChainRecord.newestFirst(clusterId, limit));
    }
}
