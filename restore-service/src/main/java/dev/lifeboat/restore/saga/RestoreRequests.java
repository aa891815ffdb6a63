package dev.lifeboat.restore.saga;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.Ids;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.runtime.Traces;
import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.DeltaGapRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import dev.lifeboat.restore.saga.RestoreRules.Choice;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Restore requests, from REST or Kafka: read what the rules ({@link RestoreRules}) need — the clusters, the
 * snapshot or the chains, a running restore — and store an accepted request as a new restore in VALIDATING,
 * with its RestorePhaseChanged in the same transaction. Nothing is stored for a refused REST request; a
 * refused Kafka request is recorded as FAILED so that whoever asked can see why.
 */
@ApplicationScoped
public class RestoreRequests {

    /** The unique index that keeps one unfinished restore per target cluster (V2026_11_22_1__restore.sql). */
    private static final String ONE_ACTIVE_PER_CLUSTER = "restore_one_active_per_cluster";
    /** How many of the newest full snapshots {@code latest} looks at for one whose object is intact. */
    private static final int LATEST_CANDIDATES = 50;

    private final Restores restores;
    private final boolean drillBeforeReplace;

    public RestoreRequests(Restores restores, RestoreServiceConfig config) {
        this.restores = restores;
        this.drillBeforeReplace = config.drill().beforeReplace();
    }

    /** Accepts a request (the same restore id twice is one restore) or refuses it with {@link RestoreRefusedException}. */
    public Uni<RestoreRecord> request(RestoreRequested request) {
        String id = idOf(request);
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id)
                .chain(existing -> existing != null ? Uni.createFrom().item(existing) : check(request).chain(choice -> create(id, request, choice))))
                .onFailure(RestoreRequests::anotherWasAccepted).transform(e -> RestoreRules.raced(RestoreRules.target(request)));
    }

    /** The database refused a second unfinished restore of a cluster (a concurrent request won the race). */
    private static boolean anotherWasAccepted(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains(ONE_ACTIVE_PER_CLUSTER)) {
                return true;
            }
        }
        return false;
    }

    /** A request from Kafka that was refused: recorded as FAILED with the reason. */
    public Uni<Void> recordRefusal(RestoreRequested request, String reason) {
        String id = idOf(request);
        return RestoreRecord.<RestoreRecord>findById(id).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().voidItem();
            }
            RestoreRecord restore = newRecord(id, request, RestoreRules.wantedSnapshot(request));
            restore.phase = RestorePhase.FAILED;
            restore.error = reason;
            Log.warnf("restore %s of cluster %s refused: %s", id, request.clusterId(), reason);
            return restore.persist().chain(() -> restores.emit(restore, null));
        });
    }

    private static String idOf(RestoreRequested request) {
        return request.restoreId() != null && !request.restoreId().isBlank() ? request.restoreId() : Ids.newId();
    }

    private Uni<Choice> check(RestoreRequested request) {
        String target = RestoreRules.target(request);
        return rule(() -> RestoreRules.checkShape(request))
                .chain(() -> cluster(request.clusterId())).invoke(cluster -> RestoreRules.requireCluster(cluster, request.clusterId(), "cluster"))
                .chain(() -> cluster(target)).invoke(cluster -> {
                    RestoreRules.requireCluster(cluster, target, "targetCluster");
                    if (request.mode() == RestoreMode.REPLACE) {
                        RestoreRules.requireMembers(cluster);
                    }
                })
                .chain(() -> RestoreRules.pointInTime(request) ? plan(request) : snapshot(request))
                .call(() -> running(target).invoke(running -> RestoreRules.requireIdle(target, running)));
    }

    private static Uni<Void> rule(Runnable rule) {
        return Uni.createFrom().item(() -> {
            rule.run();
            return null;
        });
    }

    private static Uni<ClusterRecord> cluster(String id) {
        return ClusterRecord.findById(id);
    }

    private static Uni<RestoreRecord> running(String target) {
        return RestoreRecord.runningOn(target);
    }

    private static Uni<Choice> snapshot(RestoreRequested request) {
        String wanted = RestoreRules.wantedSnapshot(request);
        return RestoreRequested.LATEST.equals(wanted)
                ? SnapshotRecord.newestFulls(request.clusterId(), LATEST_CANDIDATES).map(rows -> RestoreRules.latest(request, rows))
                : SnapshotRecord.<SnapshotRecord>findById(wanted).map(found -> new Choice(RestoreRules.requireSnapshot(request, found), null, null));
    }

    private static Uni<Choice> plan(RestoreRequested request) {
        return SnapshotRecord.kept(request.clusterId())
                .chain(rows -> DeltaGapRecord.newestFirst(request.clusterId(), 3)
                        .map(gaps -> RestoreRules.plan(request, rows, gaps)));
    }

    private Uni<RestoreRecord> create(String id, RestoreRequested request, Choice choice) {
        SnapshotRecord snapshot = choice.snapshot();
        RestoreRecord restore = newRecord(id, request, snapshot.id);
        if (choice.plan() != null) {
            restore.pointInTime.toRevision = request.toRevision();
            restore.pointInTime.toTime = request.toTime();
            restore.pointInTime.targetRevision = choice.plan().toRevision();
            restore.pointInTime.deltaIds = choice.plan().deltas().stream().map(RecoveryChains.Delta::id).toList();
        }
        restore.phase = RestorePhase.VALIDATING;
        restore.phases = PhaseTimes.none().started(RestorePhase.VALIDATING, restore.createdAt);
        restore.note = choice.note();
        Log.infof("restore %s: snapshot %s%s of cluster %s into cluster %s (mode %s%s%s%s)", id, snapshot.id,
                choice.plan() == null ? "" : " + " + choice.plan().deltas().size() + " deltas up to " + (request.toRevision() != null
                        ? "revision " + request.toRevision() : request.toTime()), request.clusterId(),
                restore.targetCluster, request.mode(), request.keyPrefix() == null ? "" : ", prefix " + request.keyPrefix(),
                request.prune() ? ", prune" : "", request.dryRun() ? ", dry run" : "");
        return restore.persist().chain(() -> restores.emit(restore, null)).replaceWith(restore);
    }

    private RestoreRecord newRecord(String id, RestoreRequested request, String snapshotId) {
        RestoreRecord restore = new RestoreRecord();
        restore.id = id;
        restore.clusterId = request.clusterId();
        restore.targetCluster = RestoreRules.target(request);
        restore.snapshotId = snapshotId;
        restore.mode = request.mode();
        restore.keyPrefix = request.keyPrefix() == null || request.keyPrefix().isEmpty() ? null : request.keyPrefix();
        restore.prune = request.prune();
        restore.dryRun = request.dryRun();
        restore.drillFirst = request.drillFirst() != null ? request.drillFirst()
                : drillBeforeReplace && request.mode() == RestoreMode.REPLACE && !request.dryRun();
        restore.requester = request.requester();
        restore.traceparent = Traces.current();
        restore.createdAt = Instant.now();
        restore.updatedAt = restore.createdAt;
        restore.phases = PhaseTimes.none();
        return restore;
    }
}
