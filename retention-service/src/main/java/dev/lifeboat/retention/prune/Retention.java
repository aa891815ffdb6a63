package dev.lifeboat.retention.prune;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.events.SnapshotDeleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.SnapshotFound;
import dev.lifeboat.events.SnapshotMissing;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.retention.RetentionServiceConfig;
import dev.lifeboat.retention.knowledge.ClusterRecord;
import dev.lifeboat.retention.knowledge.OrphanRecord;
import dev.lifeboat.retention.knowledge.PinRecord;
import dev.lifeboat.retention.knowledge.PolicyRecord;
import dev.lifeboat.retention.knowledge.SnapshotRecord;
import dev.lifeboat.retention.rules.RetentionRules;
import io.agroal.api.AgroalDataSource;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.WebApplicationException;

/**
 * Reconciles a cluster's catalog with its bucket and prunes its snapshots by the rules of
 * {@link RetentionRules}. Blocking: called from worker threads and REST handlers that run on them.
 *
 * <p>Deleting goes in three steps, so that a crash never loses track of an object: the chosen
 * snapshots are marked DELETING (in the same transaction that decided, with their rows locked), their
 * objects deleted with multi-object deletes, then each is marked DELETED with its SnapshotDeleted
 * event. DELETING rows left by a crash are finished by the next run.
 */
@ApplicationScoped
public class Retention {

    private final ObjectStore store;
    private final Outbox outbox;
    private final AgroalDataSource db;
    private final RetentionServiceConfig config;
    private final S3Config s3;
    private volatile boolean viewComplete;

    /** {@code lifeboat_snapshot_gc_total{cluster,kind}}: snapshots retention deleted (etcd-backup-restore's etcdbr_snapshot_gc_total). */
    private final io.micrometer.core.instrument.MeterRegistry registry;

    public Retention(ObjectStore store, Outbox outbox, AgroalDataSource db, RetentionServiceConfig config, S3Config s3,
            io.micrometer.core.instrument.MeterRegistry registry) {
        this.registry = registry;
        this.store = store;
        this.outbox = outbox;
        this.db = db;
        this.config = config;
        this.s3 = s3;
    }

    /** Where a cluster's full snapshots live: bucket and key prefix. */
    record Location(String bucket, String prefix) {
    }

    /** One snapshot, when a restore drill last verified it (null: never), and what retention decides about it. */
    public record Item(String id, Instant completedAt, long storedSize, Instant verifiedAt, boolean keep, String rule) {
    }

    /** An object no catalog knows. */
    public record Orphan(String objectKey, long size, Instant firstSeen, Instant deletableAfter) {
    }

    public record Preview(String clusterId, boolean viewComplete, List<Item> snapshots, List<Orphan> orphans, List<String> missing) {
    }

    public record Outcome(String clusterId, List<String> deleted, int kept, List<String> orphansDeleted, List<String> missing) {
    }

    /** Thrown when asked to delete before the service has reconciled with the bucket since it started. */
    public static class ViewIncompleteException extends WebApplicationException {
        ViewIncompleteException() {
            super("retention-service has not finished its first reconciliation with the bucket since it started; nothing is deleted before",
                    409);
        }
    }

    /** 404 for the API. */
    public static class UnknownClusterException extends WebApplicationException {
        UnknownClusterException(String clusterId) {
            super("cluster '" + clusterId + "' is not registered with Lifeboat", 404);
        }
    }

    public boolean viewComplete() {
        return viewComplete;
    }

    /** What a run would do now, deleting nothing. */
    public Preview preview(String clusterId) {
        requireCluster(clusterId);
        List<Item> items = await(() -> Panache.withSession(() -> decide(clusterId, false))).stream().map(Retention::item).toList();
        List<Orphan> orphans = await(() -> Panache.withSession(() -> OrphanRecord.ofCluster(clusterId)))
                .stream().map(o -> new Orphan(o.objectKey, o.size, o.firstSeen, o.firstSeen.plus(config.orphanGrace()))).toList();
        return new Preview(clusterId, viewComplete, items, orphans, missing(clusterId));
    }

    /** Reconciles the cluster with its bucket, then prunes it, waiting for a run elsewhere to finish first. */
    public Outcome run(String clusterId) {
        return run(clusterId, java.time.Duration.ofMinutes(5));
    }

    /**
     * Reconciles the cluster with its bucket, then prunes it; returns what happened. When another run of
     * the cluster holds the lock, waits for it up to {@code wait} (zero: returns an empty outcome at once).
     */
    public Outcome run(String clusterId, java.time.Duration wait) {
        requireCluster(clusterId);
        if (!viewComplete) {
            throw new ViewIncompleteException();
        }
        try (Connection lock = db.getConnection()) {
            Instant giveUp = Instant.now().plus(wait);
            while (!tryLock(lock, clusterId)) {
                if (Instant.now().isAfter(giveUp)) {
                    Log.infof("retention of cluster %s is running elsewhere; this run is skipped", clusterId);
                    return new Outcome(clusterId, List.of(), 0, List.of(), List.of());
                }
                sleep();
            }
            try {
                List<String> orphansDeleted = reconcile(clusterId);
                List<RetentionRules.Decision> decisions = await(() -> Panache.withTransaction(() -> decide(clusterId, true)));
                List<String> deleted = finishDeleting(clusterId);
                int kept = (int) decisions.stream().filter(RetentionRules.Decision::keep).count();
                if (!deleted.isEmpty()) {
                    Log.infof("retention of cluster %s: deleted %d snapshots, kept %d", clusterId, deleted.size(), kept);
                }
                return new Outcome(clusterId, deleted, kept, orphansDeleted, missing(clusterId));
            } finally {
                unlock(lock, clusterId);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot take the retention lock of cluster '" + clusterId + "': " + e.getMessage(), e);
        }
    }

    /** Reconciles every cluster; the first complete pass since start makes the view complete. */
    public void reconcileAll() {
        List<String> clusters = await(() -> Panache.withSession(ClusterRecord::registered))
                .stream().map(c -> c.id).toList();
        for (String clusterId : clusters) {
            reconcile(clusterId);
        }
        if (!viewComplete) {
            Log.infof("first reconciliation done (%d clusters): pruning may start", clusters.size());
        }
        viewComplete = true;
    }

    /** All clusters Lifeboat knows. */
    public List<String> clusters() {
        return await(() -> Panache.withSession(ClusterRecord::registered)).stream().map(c -> c.id).toList();
    }

    /**
     * Decides for the cluster's Completed snapshots — full snapshots by the rules, deltas by the full
     * snapshots kept: a delta goes only when no kept full snapshot of its chain lies before its end
     * ({@link RecoveryChains#unneededDeltas}). With {@code mark}, marks those to delete DELETING.
     */
    private Uni<List<RetentionRules.Decision>> decide(String clusterId, boolean mark) {
        return SnapshotRecord.completed(clusterId, mark).chain(rows -> PinRecord.ofCluster(clusterId).chain(pins -> PolicyRecord
                .ofCluster(clusterId).map(policies -> {
                    Map<String, String> pinnedBy = new HashMap<>();
                    pins.forEach(pin -> pinnedBy.put(pin.snapshotId, "pinned by restore " + pin.restoreId));
                    List<SnapshotRecord> fulls = rows.stream().filter(r -> r.kind == SnapshotKind.FULL).toList();
                    List<SnapshotRecord> deltas = rows.stream().filter(r -> r.kind == SnapshotKind.DELTA).toList();
                    List<RetentionRules.Candidate> candidates = fulls.stream().map(row -> new RetentionRules.Candidate(row.id, row.completedAt,
                            row.storedSize, row.held ? "on hold" : pinnedBy.get(row.id), row.verifiedAt)).toList();
                    List<RetentionSpec> specs = policies.stream().map(PolicyRecord::spec).toList();
                    List<RetentionRules.Decision> decisions = new ArrayList<>(RetentionRules.decide(candidates, specs, Instant.now()));
                    Set<String> keptFulls = decisions.stream().filter(RetentionRules.Decision::keep).map(d -> d.snapshot().id())
                            .collect(Collectors.toSet());
                    Set<String> unneeded = RecoveryChains.unneededDeltas(fulls.stream().filter(f -> keptFulls.contains(f.id))
                            .map(SnapshotRecord::asFull).toList(), deltas.stream().map(SnapshotRecord::asDelta).toList());
                    for (SnapshotRecord delta : deltas) {
                        boolean keep = delta.held || !unneeded.contains(delta.id);
                        decisions.add(new RetentionRules.Decision(new RetentionRules.Candidate(delta.id, delta.completedAt, delta.storedSize,
                                delta.held ? "on hold" : null), keep, delta.held ? "on hold" : keep
                                        ? "delta of chain " + delta.chainId + ": a kept full snapshot needs it"
                                        : "delta of chain " + delta.chainId + ": extends only full snapshots that are not kept"));
                    }
                    if (mark) {
                        Map<String, SnapshotRecord> byId = rows.stream().collect(Collectors.toMap(r -> r.id, r -> r));
                        for (RetentionRules.Decision decision : decisions) {
                            if (!decision.keep()) {
                                SnapshotRecord row = byId.get(decision.snapshot().id());
                                row.state = SnapshotRecord.State.DELETING;
                                row.reason = decision.rule();
                                row.updatedAt = Instant.now();
                            }
                        }
                    }
                    return decisions;
                })));
    }

    /** Deletes the objects of every DELETING snapshot of the cluster, then records each deletion with its event. */
    private List<String> finishDeleting(String clusterId) {
        List<SnapshotRecord> deleting = await(() -> Panache.withSession(() -> SnapshotRecord.inState(clusterId, SnapshotRecord.State.DELETING)));
        Map<String, List<SnapshotRecord>> byBucket = deleting.stream().collect(Collectors.groupingBy(s -> s.bucket));
        List<String> done = new ArrayList<>();
        for (Map.Entry<String, List<SnapshotRecord>> bucket : byBucket.entrySet()) {
            Set<String> failed = new HashSet<>(store.deleteAll(bucket.getKey(), bucket.getValue().stream().flatMap(s -> storedKeys(s).stream()).toList()));
            List<String> ids = bucket.getValue().stream().filter(s -> storedKeys(s).stream().noneMatch(failed::contains)).map(s -> s.id).toList();
            if (!failed.isEmpty()) {
                Log.warnf("retention of cluster %s: %d objects could not be deleted; the next run tries again", clusterId, failed.size());
            }
            for (int from = 0; from < ids.size(); from += 500) {
                List<String> batch = ids.subList(from, Math.min(ids.size(), from + 500));
                await(() -> Panache.withTransaction(() -> SnapshotRecord.stillDeleting(batch).chain(rows -> {
                            Instant now = Instant.now();
                            List<SnapshotDeleted> events = new ArrayList<>();
                            for (SnapshotRecord row : rows) {
                                registry.counter("lifeboat.snapshot.gc", "cluster", row.clusterId, "kind", row.kind.name().toLowerCase(java.util.Locale.ROOT))
                                        .increment();
                                row.state = SnapshotRecord.State.DELETED;
                                row.updatedAt = now;
                                events.add(new SnapshotDeleted(row.id, row.clusterId, row.objectKey, "retention: " + row.reason, now));
                            }
                            return outbox.emitAll(events);
                        })));
                done.addAll(batch);
            }
        }
        return done;
    }

    /** What a snapshot has in the bucket: its object, and the manifest beside it where its layout writes one. */
    private static List<String> storedKeys(SnapshotRecord snapshot) {
        return ObjectLayout.hasManifest(snapshot.objectKey) ? List.of(snapshot.objectKey, ObjectLayout.manifestOf(snapshot.objectKey))
                : List.of(snapshot.objectKey);
    }

    /**
     * Compares the cluster's catalog with a listing of its prefix: Completed entries whose object is
     * gone or not its recorded size become MISSING (announced; SnapshotFound when it is back intact), objects no entry knows are recorded as orphans and deleted once
     * the grace period passed. Returns the orphan keys deleted.
     */
    List<String> reconcile(String clusterId) {
        Location location = location(clusterId);
        String prefix = location.prefix() + "/" + clusterId + "/";
        Map<String, ObjectStore.StoredObject> objects = new HashMap<>();
        for (String kind : new String[] {"full/", "delta/"}) {
            store.list(location.bucket(), prefix + kind).forEach(object -> objects.putIfAbsent(object.key(), object));
        }
        Instant now = Instant.now();
        List<OrphanRecord> expired = await(() -> Panache.withTransaction(() -> SnapshotRecord.catalogued(clusterId, location.bucket())
                .chain(rows -> OrphanRecord.ofCluster(clusterId).map(orphans -> Reconciliation.of(rows, orphans, objects, now, config.orphanGrace())))
                .call(found -> outbox.emitAll(recordMissing(found, clusterId, now)))
                .call(found -> OrphanRecord.forget(location.bucket(), found.orphansGone()))
                .call(found -> recordOrphans(found.newOrphans(), location, clusterId, prefix, now))
                .map(Reconciliation::orphansDue)));
        if (expired.isEmpty()) {
            return List.of();
        }
        List<String> keys = expired.stream().map(o -> o.objectKey).toList();
        Set<String> failed = new HashSet<>(store.deleteAll(location.bucket(), keys));
        List<String> deleted = keys.stream().filter(k -> !failed.contains(k)).toList();
        await(() -> Panache.withTransaction(() -> OrphanRecord.forget(location.bucket(), deleted)));
        deleted.forEach(key -> Log.warnf("deleted s3://%s/%s of cluster %s: in no catalog for longer than %s", location.bucket(), key,
                clusterId, config.orphanGrace()));
        return deleted;
    }

    /** Marks the vanished entries MISSING and the reappeared Completed again; returns the events that announce both. */
    private static List<LifeboatEvent> recordMissing(Reconciliation found, String clusterId, Instant now) {
        List<LifeboatEvent> events = new ArrayList<>();
        for (Reconciliation.Vanished vanished : found.vanished()) {
            SnapshotRecord row = vanished.row();
            row.state = SnapshotRecord.State.MISSING;
            row.reason = vanished.reason();
            row.updatedAt = now;
            Log.warnf("snapshot %s of cluster %s is MISSING: s3://%s/%s: %s", row.id, clusterId, row.bucket, row.objectKey, vanished.reason());
            events.add(new SnapshotMissing(row.id, clusterId, row.bucket, row.objectKey, now, vanished.reason()));
        }
        for (SnapshotRecord row : found.reappeared()) {
            row.state = SnapshotRecord.State.COMPLETED;
            row.reason = null;
            row.updatedAt = now;
            Log.infof("snapshot %s of cluster %s is back: s3://%s/%s has its recorded size again", row.id, clusterId, row.bucket, row.objectKey);
            events.add(new SnapshotFound(row.id, clusterId, row.bucket, row.objectKey, now));
        }
        return events;
    }

    /** Records objects no catalog knows as orphans, first seen now. */
    private Uni<Void> recordOrphans(List<ObjectStore.StoredObject> objects, Location location, String clusterId, String prefix, Instant now) {
        if (objects.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        Log.warnf("%d objects under s3://%s/%s are in no catalog (for example %s); each is deleted %s after it was first seen unless a "
                + "snapshot claims it", objects.size(), location.bucket(), prefix, objects.get(0).key(), config.orphanGrace());
        Object[] rows = objects.stream().map(object -> {
            OrphanRecord orphan = new OrphanRecord();
            orphan.bucket = location.bucket();
            orphan.objectKey = object.key();
            orphan.clusterId = clusterId;
            orphan.size = object.size();
            orphan.firstSeen = now;
            return orphan;
        }).toArray();
        return Panache.getSession().chain(session -> session.persistAll(rows));
    }

    private List<String> missing(String clusterId) {
        return await(() -> Panache.withSession(() -> SnapshotRecord.inState(clusterId, SnapshotRecord.State.MISSING))).stream().map(s -> s.id).toList();
    }

    private Location location(String clusterId) {
        ClusterSpec spec = requireCluster(clusterId);
        String bucket = spec.destination() != null && spec.destination().bucket() != null ? spec.destination().bucket() : s3.bucket();
        String prefix = spec.destination() != null && spec.destination().prefix() != null ? spec.destination().prefix() : config.defaultPrefix();
        return new Location(bucket, prefix);
    }

    private ClusterSpec requireCluster(String clusterId) {
        ClusterRecord cluster = await(() -> Panache.withSession(() -> ClusterRecord.<ClusterRecord>findById(clusterId)));
        if (cluster == null || cluster.deleted) {
            throw new UnknownClusterException(clusterId);
        }
        return cluster.spec();
    }

    /** One run per cluster at a time across replicas: a session advisory lock, released with the connection. */
    private static boolean tryLock(Connection connection, String clusterId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select pg_try_advisory_lock(hashtext(?))")) {
            statement.setString(1, "lifeboat-retention:" + clusterId);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getBoolean(1);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the retention lock");
        }
    }

    private static void unlock(Connection connection, String clusterId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("select pg_advisory_unlock(hashtext(?))")) {
            statement.setString(1, "lifeboat-retention:" + clusterId);
            statement.executeQuery().close();
        }
    }

    private static Item item(RetentionRules.Decision decision) {
        return new Item(decision.snapshot().id(), decision.snapshot().completedAt(), decision.snapshot().storedSize(),
                decision.snapshot().verifiedAt(), decision.keep(), decision.rule());
    }

    private static <T> T await(Supplier<Uni<T>> work) {
        return dev.lifeboat.events.work.ClaimedWork.await(work);
    }
}
