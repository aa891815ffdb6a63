package dev.lifeboat.restore.saga;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.type.TypeReference;

import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.RollbackMember;
import dev.lifeboat.events.Traces;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.events.projection.RecoveryChains;
import dev.lifeboat.restore.knowledge.DeltaGapRecord;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Every change of a restore, each with its events in the same transaction (the outbox). Requests
 * are checked here, before anything is stored; claims make sure one instance drives a restore, and
 * that another continues it when that instance dies.
 */
@ApplicationScoped
public class Restores {

    private static final String CANDIDATES = """
            select id from restore
            where (phase not in ('COMPLETED', 'FAILED') or rollback_state = 'REQUESTED')
              and (claimed_until is null or claimed_until < now())
            order by created_at limit 10 for update skip locked""";
    private static final TypeReference<Map<String, Map<String, Instant>>> PHASES = new TypeReference<>() {
    };

    private final Outbox outbox;

    public Restores(Outbox outbox) {
        this.outbox = outbox;
    }

    /** The instance lost its claim (it was too slow to renew it); another one continues the restore. */
    public static class ClaimLostException extends RuntimeException {
        ClaimLostException(String restoreId) {
            super("restore " + restoreId + " is no longer claimed by this instance");
        }
    }

    /** Accepts a request (the same restore id twice is one restore) or refuses it with {@link RestoreRefusedException}. */
    public Uni<RestoreRecord> request(RestoreRequested request) {
        String id = request.restoreId() != null && !request.restoreId().isBlank() ? request.restoreId() : Ids.newId();
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id)
                .chain(existing -> existing != null ? Uni.createFrom().item(existing) : check(request).chain(choice -> create(id, request, choice))));
    }

    /** A request from Kafka that was refused: recorded as FAILED with the reason, so whoever asked can see why. */
    public Uni<Void> recordRefusal(RestoreRequested request, String reason) {
        String id = request.restoreId() != null && !request.restoreId().isBlank() ? request.restoreId() : Ids.newId();
        return RestoreRecord.<RestoreRecord>findById(id).chain(existing -> {
            if (existing != null) {
                return Uni.createFrom().voidItem();
            }
            RestoreRecord restore = newRecord(id, request, request.snapshot() == null ? "latest" : request.snapshot());
            restore.phase = RestorePhase.FAILED;
            restore.error = reason;
            Log.warnf("restore %s of cluster %s refused: %s", id, request.clusterId(), reason);
            return restore.persist().chain(() -> emit(restore, null)).replaceWithVoid();
        });
    }

    /** What a request restores: a full snapshot, and for a point in time the plan of deltas to replay onto it. */
    private record Choice(SnapshotRecord snapshot, RecoveryChains.Plan plan) {
    }

    private Uni<Choice> check(RestoreRequested request) {
        if (request.mode() == RestoreMode.REPLACE && request.keyPrefix() != null && !request.keyPrefix().isEmpty()) {
            return refuse(400, "keyPrefix", "mode REPLACE replaces the whole keyspace of every member; restoring one key prefix needs mode API");
        }
        if (request.toRevision() != null && request.toTime() != null) {
            return refuse(400, "toTime", "name either toRevision or toTime, not both");
        }
        boolean pointInTime = request.toRevision() != null || request.toTime() != null;
        if (pointInTime && request.snapshot() != null && !request.snapshot().isBlank() && !"latest".equals(request.snapshot())) {
            return refuse(400, "snapshot", "a point-in-time restore picks its full snapshot and deltas itself; leave snapshot out "
                    + "or name a snapshot without toRevision/toTime");
        }
        if (request.toRevision() != null && request.toRevision() < 1) {
            return refuse(400, "toRevision", "toRevision must be a revision (1 or more), not " + request.toRevision());
        }
        String target = target(request);
        if (!target.equals(request.clusterId()) && !request.allowCrossCluster()) {
            return refuse(400, "targetCluster", "restoring a snapshot of cluster '" + request.clusterId() + "' into cluster '" + target
                    + "' needs allowCrossCluster: true");
        }
        return requireCluster(request.clusterId(), "cluster")
                .chain(() -> requireCluster(target, "targetCluster"))
                .chain(() -> request.mode() == RestoreMode.REPLACE ? requireMembers(target) : Uni.createFrom().voidItem())
                .chain(() -> pointInTime ? plan(request) : snapshot(request).map(snapshot -> new Choice(snapshot, null)))
                .call(() -> RestoreRecord.<RestoreRecord>find("targetCluster = ?1 and phase not in ?2", target,
                        List.of(RestorePhase.COMPLETED, RestorePhase.FAILED)).firstResult().chain(running -> running == null
                                ? Uni.createFrom().voidItem()
                                : refuse(409, "cluster", "restore " + running.id + " of cluster '" + target + "' is running (phase "
                                        + running.phase + "); one restore per cluster at a time")));
    }

    private static Uni<Void> requireCluster(String id, String field) {
        return ClusterRecord.<ClusterRecord>findById(id).chain(cluster -> cluster == null || cluster.deleted
                ? refuse(404, field, "cluster '" + id + "' is not registered with Lifeboat")
                : Uni.createFrom().voidItem());
    }

    private static Uni<Void> requireMembers(String clusterId) {
        return ClusterRecord.<ClusterRecord>findById(clusterId).chain(cluster -> cluster.spec().members().isEmpty()
                ? refuse(400, "mode", "cluster '" + clusterId + "' has no members registered; mode REPLACE needs each member's name, "
                        + "peer and client URL and an etcd-agent on it (update the cluster), or use mode API")
                : Uni.createFrom().voidItem());
    }

    private static Uni<SnapshotRecord> snapshot(RestoreRequested request) {
        String wanted = request.snapshot() == null || request.snapshot().isBlank() ? "latest" : request.snapshot();
        if ("latest".equals(wanted)) {
            return SnapshotRecord.<SnapshotRecord>find("clusterId = ?1 and deleted = false and kind = ?2 order by completedAt desc",
                    request.clusterId(), SnapshotKind.FULL).firstResult().chain(latest -> latest == null
                            ? refuse(404, "snapshot", "cluster '" + request.clusterId() + "' has no completed full snapshot")
                            : Uni.createFrom().item(latest));
        }
        return SnapshotRecord.<SnapshotRecord>findById(wanted).chain(snapshot -> {
            if (snapshot == null) {
                return refuse(404, "snapshot", "snapshot '" + wanted + "' is not a completed snapshot Lifeboat knows");
            }
            if (snapshot.deleted) {
                return refuse(400, "snapshot", "snapshot '" + wanted + "' was deleted");
            }
            if (snapshot.kind != SnapshotKind.FULL) {
                return refuse(400, "snapshot", "snapshot '" + wanted + "' is a " + snapshot.kind + " snapshot; name a full one");
            }
            if (!snapshot.clusterId.equals(request.clusterId()) && !request.allowCrossCluster()) {
                return refuse(400, "snapshot", "snapshot '" + wanted + "' belongs to cluster '" + snapshot.clusterId + "', not '"
                        + request.clusterId() + "' (allowCrossCluster: true restores it anyway)");
            }
            return Uni.createFrom().item(snapshot);
        });
    }

    /**
     * The plan to reach the requested revision or time from the cluster's full snapshots and deltas
     * (RecoveryChains); a target no chain reaches is refused with what can be restored and the gaps
     * capture recorded.
     */
    private static Uni<Choice> plan(RestoreRequested request) {
        String field = request.toRevision() != null ? "toRevision" : "toTime";
        return SnapshotRecord.<SnapshotRecord>list("clusterId = ?1 and deleted = false", request.clusterId()).chain(rows -> {
            List<RecoveryChains.Full> fulls = rows.stream().filter(r -> r.kind == SnapshotKind.FULL).map(SnapshotRecord::asFull).toList();
            List<RecoveryChains.Delta> deltas = rows.stream().filter(r -> r.kind == SnapshotKind.DELTA && r.chainId != null)
                    .map(SnapshotRecord::asDelta).toList();
            RecoveryChains.Plan plan;
            try {
                plan = request.toRevision() != null ? RecoveryChains.forRevision(fulls, deltas, request.toRevision())
                        : RecoveryChains.forTime(fulls, deltas, request.toTime());
            } catch (RecoveryChains.NotCoveredException e) {
                return DeltaGapRecord.<DeltaGapRecord>find("clusterId = ?1 order by detectedAt desc", request.clusterId()).page(0, 3).list()
                        .chain(gaps -> refuse(400, field, "cluster '" + request.clusterId() + "': " + e.getMessage() + (gaps.isEmpty() ? ""
                                : "; recorded gaps: " + String.join("; ", gaps.stream().map(g -> "after revision " + g.lastRevision + " ("
                                        + g.reason + ", " + g.detectedAt + ")").toList()))));
            }
            SnapshotRecord full = rows.stream().filter(r -> r.id.equals(plan.full().id())).findFirst().orElseThrow();
            return Uni.createFrom().item(new Choice(full, plan));
        });
    }

    private Uni<RestoreRecord> create(String id, RestoreRequested request, Choice choice) {
        SnapshotRecord snapshot = choice.snapshot();
        RestoreRecord restore = newRecord(id, request, snapshot.id);
        if (choice.plan() != null) {
            restore.toRevision = request.toRevision();
            restore.toTime = request.toTime();
            restore.targetRevision = choice.plan().toRevision();
            restore.deltaIds = choice.plan().deltas().isEmpty() ? null
                    : String.join(",", choice.plan().deltas().stream().map(RecoveryChains.Delta::id).toList());
        }
        restore.phase = RestorePhase.VALIDATING;
        restore.phases = phases(Map.of(RestorePhase.VALIDATING.name(), Map.of("startedAt", restore.createdAt)));
        Log.infof("restore %s: snapshot %s%s of cluster %s into cluster %s (mode %s%s%s%s)", id, snapshot.id,
                choice.plan() == null ? "" : " + " + choice.plan().deltas().size() + " deltas up to " + (request.toRevision() != null
                        ? "revision " + request.toRevision() : request.toTime()), request.clusterId(),
                restore.targetCluster, request.mode(), request.keyPrefix() == null ? "" : ", prefix " + request.keyPrefix(),
                request.prune() ? ", prune" : "", request.dryRun() ? ", dry run" : "");
        return restore.persist().chain(() -> emit(restore, null)).replaceWith(restore);
    }

    private static RestoreRecord newRecord(String id, RestoreRequested request, String snapshotId) {
        RestoreRecord restore = new RestoreRecord();
        restore.id = id;
        restore.clusterId = request.clusterId();
        restore.targetCluster = target(request);
        restore.snapshotId = snapshotId;
        restore.mode = request.mode();
        restore.keyPrefix = request.keyPrefix() == null || request.keyPrefix().isEmpty() ? null : request.keyPrefix();
        restore.prune = request.prune();
        restore.dryRun = request.dryRun();
        restore.requester = request.requester();
        restore.traceparent = Traces.current();
        restore.createdAt = Instant.now();
        restore.updatedAt = restore.createdAt;
        restore.phases = "{}";
        return restore;
    }

    private static String target(RestoreRequested request) {
        return request.targetCluster() == null || request.targetCluster().isBlank() ? request.clusterId() : request.targetCluster();
    }

    /** Claims the oldest restore that needs driving: new, or abandoned by an instance that died. */
    public Uni<RestoreRecord> claimNext(String owner, Duration claimDuration) {
        return Panache.withTransaction(() -> Panache.getSession()
                .chain(session -> session.createNativeQuery(CANDIDATES, String.class).getResultList())
                .chain(ids -> ids.isEmpty() ? Uni.createFrom().nullItem() : RestoreRecord.<RestoreRecord>findById(ids.get(0)))
                .invoke(restore -> {
                    if (restore != null) {
                        if (restore.claimedBy != null) {
                            Log.infof("restore %s: continuing in phase %s after instance %s stopped", restore.id, restore.phase, restore.claimedBy);
                        }
                        restore.claimedBy = owner;
                        restore.claimedUntil = Instant.now().plus(claimDuration);
                    }
                }));
    }

    public Uni<Boolean> extend(String id, String owner, Duration claimDuration) {
        return Panache.withTransaction(() -> RestoreRecord.update("claimedUntil = ?1 where id = ?2 and claimedBy = ?3",
                Instant.now().plus(claimDuration), id, owner).map(n -> n > 0));
    }

    public Uni<RestoreRecord> load(String id) {
        return Panache.withSession(() -> RestoreRecord.<RestoreRecord>findById(id));
    }

    /** Moves the saga on: ends the current phase, starts the next, announces it. */
    public Uni<Void> advance(String id, String owner, RestorePhase next) {
        return change(id, owner, restore -> {
            if (next == RestorePhase.COMPLETED && !restore.dryRun) {
                return outbox.emit(new BackupRequested(restore.targetCluster, "a fresh full snapshot after restore " + restore.id,
                        "restore-service", "restore-" + restore.id)).replaceWithVoid();
            }
            return Uni.createFrom().voidItem();
        }, next, null);
    }

    public Uni<Void> fail(String id, String owner, String error) {
        return change(id, owner, restore -> Uni.createFrom().voidItem(), RestorePhase.FAILED, error);
    }

    public Uni<Void> requestPause(String id, String owner) {
        return change(id, owner, restore -> {
            restore.pauseRequested = true;
            return outbox.emit(new ClusterPauseRequested(restore.targetCluster, restore.id, "restore " + restore.id)).replaceWithVoid();
        }, null, null);
    }

    public Uni<Void> requestResume(String id, String owner) {
        return change(id, owner, restore -> {
            restore.resumeRequested = true;
            return outbox.emit(new ClusterResumeRequested(restore.targetCluster, restore.id)).replaceWithVoid();
        }, null, null);
    }

    /** Keys of the snapshot processed so far, while RESTORING runs. */
    public Uni<Void> progress(String id, String owner, long total, long processed) {
        return change(id, owner, restore -> {
            restore.keysTotal = total;
            restore.keysProcessed = processed;
            return Uni.createFrom().voidItem();
        }, null, null);
    }

    /** What RESTORING did (or, dry, would do). */
    public Uni<Void> outcome(String id, String owner, long total, long put, long deleted, long unchanged) {
        return change(id, owner, restore -> {
            restore.keysTotal = total;
            restore.keysProcessed = total;
            restore.keysPut = put;
            restore.keysDeleted = deleted;
            restore.keysUnchanged = unchanged;
            return Uni.createFrom().voidItem();
        }, null, null);
    }

    /** Point in time: the revision a target time resolved to, once FETCHING read the deltas. */
    public Uni<Void> targetRevision(String id, String owner, long revision) {
        return change(id, owner, restore -> {
            restore.targetRevision = revision;
            return Uni.createFrom().voidItem();
        }, null, null);
    }

    public Uni<Void> note(String id, String owner, String note) {
        return change(id, owner, restore -> {
            restore.note = note;
            return Uni.createFrom().voidItem();
        }, null, null);
    }

    /** The scheduler confirmed the pause (or the resume) a restore asked for. */
    public Uni<Void> acknowledge(String restoreId, boolean paused) {
        return RestoreRecord.update(paused ? "paused = true where id = ?1" : "resumed = true where id = ?1", restoreId).replaceWithVoid();
    }

    /**
     * REPLACE, RESTORING: one RestoreMember command to every member's etcd-agent, with a new cluster
     * token, in one transaction with a row per member. Sent once; a saga that continues after a crash
     * only waits for the answers.
     */
    public Uni<Void> commandMembers(String id, String owner, long bumpFloor, Instant expiresAt) {
        return change(id, owner, restore -> ClusterRecord.<ClusterRecord>findById(restore.targetCluster)
                .chain(cluster -> revisionBump(restore, bumpFloor).chain(bumpRevision -> {
            List<ClusterSpec.Member> members = cluster.spec().members();
            String token = "lifeboat-restore-" + restore.id;
            List<LifeboatEvent> commands = new ArrayList<>();
            List<MemberRecord> rows = new ArrayList<>();
            for (ClusterSpec.Member member : members) {
                commands.add(new RestoreMember(restore.id, restore.targetCluster, member.name(), restore.snapshotId, members, token, bumpRevision,
                        restore.deltas().isEmpty() ? null : new RestoreMember.PointInTime(restore.deltas(), restore.targetRevision), expiresAt));
                MemberRecord row = new MemberRecord();
                row.restoreId = restore.id;
                row.memberName = member.name();
                row.state = MemberRecord.COMMANDED;
                row.updatedAt = Instant.now();
                rows.add(row);
            }
            restore.membersCommanded = true;
            Log.infof("restore %s: RestoreMember sent to the etcd-agents of %s, revision bump %d", restore.id,
                    members.stream().map(ClusterSpec.Member::name).toList(), bumpRevision);
            return MemberRecord.persist(rows).chain(() -> outbox.emitAll(commands)).replaceWithVoid();
        })), null, null);
    }

    /**
     * The bump for a REPLACE: the configured floor, or twice the revisions the target cluster wrote after
     * the restored one as far as its snapshots and deltas tell, whichever is larger ({@link RevisionBump}).
     */
    private static Uni<Long> revisionBump(RestoreRecord restore, long floor) {
        Uni<Long> restored = restore.targetRevision != null ? Uni.createFrom().item(restore.targetRevision)
                : SnapshotRecord.<SnapshotRecord>findById(restore.snapshotId).map(snapshot -> snapshot == null ? 0L : snapshot.revision);
        return restored.chain(revision -> SnapshotRecord.<SnapshotRecord>find("clusterId = ?1 order by revision desc", restore.targetCluster)
                .firstResult().map(newest -> RevisionBump.size(floor, revision, newest == null ? null : newest.revision)));
    }

    /** The members of a REPLACE restore with the agents' answers so far. */
    public Uni<List<MemberRecord>> members(String id) {
        return Panache.withSession(() -> MemberRecord.<MemberRecord>find("restoreId = ?1 order by memberName", id).list());
    }

    /** An etcd-agent answered a RestoreMember command (runs in the consumer's transaction). */
    public Uni<Void> memberAnswered(String restoreId, String memberName, boolean restored, Long revision, Boolean bumped, String note,
            String reason, boolean dataChanged) {
        return MemberRecord.<MemberRecord>findById(new MemberRecord.Key(restoreId, memberName)).chain(row -> {
            if (row == null) {
                Log.warnf("an etcd-agent answered for member %s of restore %s, which did not command it; ignored", memberName, restoreId);
                return Uni.createFrom().voidItem();
            }
            row.state = restored ? MemberRecord.RESTORED : MemberRecord.FAILED;
            row.revision = revision;
            row.revisionBumped = bumped;
            row.note = note;
            row.reason = reason;
            row.dataChanged = dataChanged;
            row.updatedAt = Instant.now();
            return Uni.createFrom().voidItem();
        });
    }

    /** An etcd-agent answered a RollbackMember command (runs in the consumer's transaction). */
    public Uni<Void> memberRolledBack(String restoreId, String memberName, boolean succeeded, String reason) {
        return MemberRecord.<MemberRecord>findById(new MemberRecord.Key(restoreId, memberName)).chain(row -> {
            if (row == null || row.rollbackState == null) {
                Log.warnf("an etcd-agent answered a rollback for member %s of restore %s, which was not asked; ignored", memberName, restoreId);
                return Uni.createFrom().voidItem();
            }
            row.rollbackState = succeeded ? MemberRecord.ROLLED_BACK : MemberRecord.FAILED;
            row.rollbackReason = reason;
            row.updatedAt = Instant.now();
            return Uni.createFrom().voidItem();
        });
    }

    /**
     * {@code POST /api/v1/restores/{id}/rollback}: asks for the members' pre-restore data dirs back. Only
     * for a finished REPLACE restore that sent commands; asking again while one runs, or after it
     * succeeded, changes nothing.
     */
    public Uni<RestoreRecord> requestRollback(String id) {
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id).chain(restore -> {
            if (restore == null) {
                return refuse(404, "id", "restore '" + id + "' is unknown");
            }
            if (restore.mode != RestoreMode.REPLACE) {
                return refuse(409, "mode", "restore " + id + " ran in mode " + restore.mode + ", which keeps no data dirs to put back; "
                        + "restore an earlier snapshot instead");
            }
            if (!restore.phase.terminal()) {
                return refuse(409, "phase", "restore " + id + " is still running (phase " + restore.phase + "); roll back once it ended");
            }
            if (!restore.membersCommanded) {
                return refuse(409, "phase", "restore " + id + " ended before any member was changed; there is nothing to roll back");
            }
            if ("REQUESTED".equals(restore.rollbackState) || "ROLLED_BACK".equals(restore.rollbackState)) {
                return Uni.createFrom().item(restore);
            }
            restore.rollbackState = "REQUESTED";
            restore.rollbackCommanded = false;
            restore.rollbackError = null;
            restore.resumeRequested = false;
            restore.resumed = false;
            restore.updatedAt = Instant.now();
            Log.infof("restore %s: rollback requested", id);
            return Uni.createFrom().item(restore);
        }));
    }

    /** Rollback: one RollbackMember to every member that was commanded, once. */
    public Uni<Void> commandRollback(String id, String owner, Instant expiresAt) {
        return changeRollback(id, owner, restore -> MemberRecord.<MemberRecord>find("restoreId", id).list().chain(rows -> {
            List<LifeboatEvent> commands = new ArrayList<>();
            for (MemberRecord row : rows) {
                row.rollbackState = MemberRecord.COMMANDED;
                row.rollbackReason = null;
                row.updatedAt = Instant.now();
                commands.add(new RollbackMember(id, restore.targetCluster, row.memberName, expiresAt));
            }
            restore.rollbackCommanded = true;
            return outbox.emitAll(commands).replaceWithVoid();
        }));
    }

    /** Rollback ended: ROLLED_BACK, or FAILED with the reason; the claim is released. */
    public Uni<Void> endRollback(String id, String owner, String error, String note) {
        return changeRollback(id, owner, restore -> {
            restore.rollbackState = error == null ? "ROLLED_BACK" : "FAILED";
            restore.rollbackError = error;
            if (note != null) {
                restore.note = note;
            }
            restore.claimedBy = null;
            restore.claimedUntil = null;
            if (error == null) {
                Log.infof("restore %s rolled back: every member serves its pre-restore data", id);
            } else {
                Log.warnf("restore %s: rollback failed: %s", id, error);
            }
            return Uni.createFrom().voidItem();
        });
    }

    /** Resume during a rollback (the restore itself has ended, so {@link #requestResume} does not apply). */
    public Uni<Void> requestResumeAfterRollback(String id, String owner) {
        return changeRollback(id, owner, restore -> {
            restore.resumeRequested = true;
            return outbox.emit(new ClusterResumeRequested(restore.targetCluster, restore.id)).replaceWithVoid();
        });
    }

    private Uni<Void> changeRollback(String id, String owner, Change change) {
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id).chain(restore -> {
            if (restore == null || !owner.equals(restore.claimedBy) || !"REQUESTED".equals(restore.rollbackState)) {
                return Uni.createFrom().failure(new ClaimLostException(id));
            }
            restore.updatedAt = Instant.now();
            return change.apply(restore);
        }));
    }

    private interface Change {
        Uni<Void> apply(RestoreRecord restore);
    }

    private Uni<Void> change(String id, String owner, Change change, RestorePhase next, String error) {
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id).chain(restore -> {
            if (restore == null || !owner.equals(restore.claimedBy) || restore.phase.terminal()) {
                return Uni.createFrom().failure(new ClaimLostException(id));
            }
            restore.updatedAt = Instant.now();
            Uni<Void> applied = change.apply(restore);
            if (next == null) {
                return applied;
            }
            RestorePhase previous = restore.phase;
            Map<String, Map<String, Instant>> phases = phases(restore.phases);
            phases.computeIfAbsent(previous.name(), p -> new LinkedHashMap<>()).put("endedAt", restore.updatedAt);
            if (!next.terminal()) {
                phases.computeIfAbsent(next.name(), p -> new LinkedHashMap<>()).put("startedAt", restore.updatedAt);
            }
            restore.phases = phases(phases);
            restore.phase = next;
            restore.error = error;
            if (next.terminal()) {
                restore.claimedBy = null;
                restore.claimedUntil = null;
            }
            if (next == RestorePhase.FAILED) {
                Log.warnf("restore %s of cluster %s failed in %s: %s", id, restore.targetCluster, previous, error);
            } else {
                Log.infof("restore %s of cluster %s: %s -> %s", id, restore.targetCluster, previous, next);
            }
            return applied.chain(() -> emit(restore, previous));
        }));
    }

    private Uni<Void> emit(RestoreRecord restore, RestorePhase previous) {
        return outbox.emit(new RestorePhaseChanged(restore.id, restore.targetCluster, restore.snapshotId, restore.mode, restore.phase,
                previous, restore.error, restore.updatedAt)).replaceWithVoid();
    }

    /** The per-phase times as stored. */
    public static Map<String, Map<String, Instant>> phases(String json) {
        try {
            return new LinkedHashMap<>(EventCodec.json().readValue(json, PHASES));
        } catch (Exception e) {
            return new LinkedHashMap<>();
        }
    }

    private static String phases(Map<String, ? extends Map<String, Instant>> phases) {
        try {
            return EventCodec.json().writeValueAsString(phases);
        } catch (Exception e) {
            throw new IllegalStateException("cannot write the phase times", e);
        }
    }

    private static <T> Uni<T> refuse(int status, String field, String message) {
        return Uni.createFrom().failure(new RestoreRefusedException(status, field, message));
    }
}
