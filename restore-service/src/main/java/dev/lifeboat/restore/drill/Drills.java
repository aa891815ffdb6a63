package dev.lifeboat.restore.drill;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;

import dev.lifeboat.chains.RecoveryChains;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.DrillCompleted;
import dev.lifeboat.events.DrillEnded;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.RunDrill;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.events.work.WakeableLoop;
import dev.lifeboat.restore.RestoreMetrics;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.etcd.RestoreException;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import dev.lifeboat.restore.saga.RestoreRefusedException;
import dev.lifeboat.restore.saga.RestoreRules;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Restore drills, asked for over REST or Kafka ({@link DrillRequested}, e.g. by a DRILL policy): the snapshot is chosen (a named full one, or {@code latest}) and one of the
 * cluster's etcd-agents is sent {@link RunDrill} with the fingerprint recorded at backup time, in one transaction with
 * the drill's row. The agent's verdict (DrillCompleted, DrillFailed) ends it. An attempt that gets no verdict in time —
 * the agent or its host died, a crash interrupted the drill — is sent again to the cluster's next member (the
 * interrupted agent removes what it left when it starts again); after the last attempt the drill FAILED at stage
 * {@code timeout}. Every verdict is announced as {@link DrillEnded} (the catalog and retention record it). One running
 * drill per cluster (the database enforces it).
 */
@ApplicationScoped
public class Drills {

    /** The unique index that keeps one running drill per cluster (V2026_12_06_1__restore_drills.sql). */
    private static final String ONE_RUNNING_PER_CLUSTER = "drill_one_running_per_cluster";
    private static final int LATEST_CANDIDATES = 50;
    private static final String SENT_AGAIN = ": sent again";
    /** {@code undrilled}: the cluster's oldest intact full snapshot of the window without a verdict on it (a point-in-time drill's is none). */
    private static final String UNDRILLED = """
            clusterId = ?1 and kind = ?2 and deleted = false and missing = false and completedAt >= ?3 and id not in (
                select d.snapshotId from DrillRecord d where d.clusterId = ?1 and d.deltaIds is null
                and (d.state = ?4 or (d.state = ?5 and d.stage <> 'timeout')))
            order by completedAt""";
    private static final String NOTHING_UNDRILLED = "nothing to drill: every full snapshot of cluster '";
    private static final String OVERDUE = """
            select id from drill where state = 'RUNNING' and expires_at < now()
            order by expires_at limit 10 for update skip locked""";

    private final Outbox outbox;
    private final RestoreServiceConfig.Drill config;
    private final RestoreMetrics metrics;
    private volatile WakeableLoop deadlines;

    public Drills(Outbox outbox, RestoreServiceConfig config, RestoreMetrics metrics) {
        this.outbox = outbox;
        this.config = config.drill();
        this.metrics = metrics;
    }

    /**
     * Accepts a drill (the same drill id twice is one drill) or refuses it with {@link RestoreRefusedException}. With
     * {@code toRevision} it is a point-in-time drill: the deltas are replayed onto their full snapshot up to the newest
     * delta end at or before that revision whose keyspace fingerprint capture recorded, and compared there.
     */
    public Uni<DrillRecord> request(String clusterId, String snapshot, String requester, String drillId, Long toRevision) {
        String id = drillId == null || drillId.isBlank() ? Ids.newId() : Ids.require(drillId, "drillId");
        String wanted = snapshot == null || snapshot.isBlank() ? RestoreRequested.LATEST : snapshot;
        if (toRevision != null && !RestoreRequested.LATEST.equals(wanted)) {
            throw new RestoreRefusedException(400, "snapshot", "a point-in-time drill starts from the full snapshot its deltas continue; "
                    + "name toRevision or a snapshot, not both");
        }
        if (toRevision != null && toRevision < 1) {
            throw new RestoreRefusedException(400, "toRevision", "toRevision must be a revision (1 or more), not " + toRevision);
        }
        return Panache.withTransaction(() -> DrillRecord.<DrillRecord>findById(id).chain(existing -> existing != null ? Uni.createFrom().item(existing)
                : ClusterRecord.<ClusterRecord>findById(clusterId).chain(cluster -> {
                    RestoreRules.requireCluster(cluster, clusterId, "cluster");
                    if (cluster.spec().members().isEmpty()) {
                        throw new RestoreRefusedException(400, "cluster", "cluster '" + clusterId + "' has no members registered; a drill runs on "
                                + "an etcd-agent of the cluster (register each member's name, peer and client URL, with an agent on it)");
                    }
                    Uni<Target> target = toRevision == null ? chosen(clusterId, wanted).map(Target::of)
                            : SnapshotRecord.kept(clusterId).map(rows -> pointInTime(clusterId, rows, toRevision));
                    return target.chain(chosen -> DrillRecord.runningOf(clusterId).chain(running -> {
                        if (running != null) {
                            throw busy(clusterId, running.id);
                        }
                        return start(id, cluster.spec().members(), chosen, requester, toRevision);
                    }));
                })))
                .onFailure(Drills::anotherWasAccepted).transform(e -> busy(clusterId, null));
    }

    /** What a drill restores and where it compares: a full snapshot, the deltas replayed onto it, and the fingerprint there. */
    record Target(SnapshotRecord snapshot, List<String> deltaIds, long revision, KeyspaceFingerprint expected) {

        static Target of(SnapshotRecord full) {
            return new Target(full, List.of(), full.revision, full.fingerprint());
        }
    }

    /**
     * The point a point-in-time drill checks: the newest delta ending at or before {@code toRevision} with a recorded keyspace
     * fingerprint, reached from its full snapshot by the deltas a point-in-time restore to that revision replays.
     */
    static Target pointInTime(String clusterId, List<SnapshotRecord> rows, long toRevision) {
        List<RecoveryChains.Full> fulls = rows.stream().filter(r -> r.kind == SnapshotKind.FULL).map(SnapshotRecord::asFull).toList();
        List<RecoveryChains.Delta> deltas = rows.stream().filter(r -> r.kind == SnapshotKind.DELTA && r.chainId != null)
                .map(SnapshotRecord::asDelta).toList();
        List<SnapshotRecord> ends = rows.stream().filter(r -> r.kind == SnapshotKind.DELTA && r.chainId != null && r.fingerprint() != null
                && r.revision <= toRevision).sorted(Comparator.comparingLong((SnapshotRecord r) -> r.revision).thenComparing(r -> r.completedAt)
                        .reversed()).toList();
        for (SnapshotRecord end : ends) {
            RecoveryChains.Plan plan;
            try {
                plan = RecoveryChains.forRevision(fulls, deltas, end.revision);
            } catch (RecoveryChains.NotCoveredException e) {
                continue;
            }
            List<String> replayed = plan.deltas().stream().map(RecoveryChains.Delta::id).toList();
            if (!replayed.isEmpty() && replayed.get(replayed.size() - 1).equals(end.id)) {
                SnapshotRecord full = rows.stream().filter(r -> r.id.equals(plan.full().id())).findFirst().orElseThrow();
                return new Target(full, replayed, end.revision, end.fingerprint());
            }
        }
        throw new RestoreRefusedException(400, "toRevision", "cluster '" + clusterId + "' has no point at or before revision " + toRevision
                + " that a drill can check: a point-in-time drill compares the keyspace at the end of a delta whose keyspace hash delta "
                + "capture recorded (lifeboat.capture.fingerprint-every), replayed from the full snapshot its chain starts at; "
                + (ends.isEmpty() ? "no stored delta up to that revision has one" : "no full snapshot and unbroken deltas lead to one")
                + " (a DELTA policy records them; or drill a full snapshot without toRevision)");
    }

    /**
     * A drill asked for over Kafka (in the consumer's transaction): accepted as over REST. A refusal is logged and counted,
     * never retried — while another drill of the cluster runs, that drill is the proof this slot asked for; a cluster without
     * a restorable snapshot or members is a state a retry does not change (the alert on verified backups reports it).
     */
    public Uni<Void> requested(DrillRequested request) {
        return request(request.clusterId(), request.snapshot(), request.requester(), request.drillId(), request.toRevision()).replaceWithVoid()
                .onFailure(RestoreRefusedException.class).recoverWithItem(e -> {
                    RestoreRefusedException refused = (RestoreRefusedException) e;
                    if (refused.status() == 404 && refused.getMessage().startsWith(NOTHING_UNDRILLED)) {
                        Log.infof("drill %s (asked by %s): %s", request.drillId(), request.requester(), refused.getMessage());
                        return null;
                    }
                    metrics.drillRefused(refused.status());
                    Log.warnf("drill %s of cluster %s (asked by %s) refused: %s", request.drillId(), request.clusterId(), request.requester(),
                            refused.getMessage());
                    return null;
                });
    }

    /**
     * REPLACE with {@code drillFirst}, on the saga's worker thread: returns a note once a drill proved the snapshot
     * restorable — one that passed before, or drill {@code drillId} asked for now (waiting while another drill of the
     * cluster runs) — and throws {@link RestoreException} with the drill's reason when it failed or gave no verdict in time.
     * {@code drillId} is the restore's own, so a saga continued after a crash waits for the same drill.
     */
    public String proveRestorable(String clusterId, String snapshotId, String requester, String drillId) throws InterruptedException {
        DrillRecord earlier = ClaimedWork.await(() -> Panache.withSession(() -> DrillRecord.passedOf(snapshotId)));
        if (earlier != null && !earlier.id.equals(drillId)) {
            return "snapshot " + snapshotId + " was proven restorable by drill " + earlier.id + " at " + earlier.finishedAt;
        }
        Instant deadline = Instant.now().plus(config.timeout().multipliedBy(config.attempts())).plus(config.checkEvery().multipliedBy(3));
        DrillRecord drill = null;
        while (drill == null) {
            try {
                drill = ClaimedWork.await(() -> request(clusterId, snapshotId, requester, drillId, null));
            } catch (RestoreRefusedException e) {
                if (e.status() != 409 || !"cluster".equals(e.field()) || Instant.now().isAfter(deadline)) {
                    throw new RestoreException("the restore drill before this REPLACE was refused: " + e.getMessage());
                }
                Thread.sleep(1000);
            }
        }
        while (drill.state == DrillState.RUNNING) {
            if (Instant.now().isAfter(deadline)) {
                throw new RestoreException("drill " + drillId + " of snapshot " + snapshotId + " gave no verdict by " + deadline
                        + "; the REPLACE was not started");
            }
            Thread.sleep(500);
            drill = ClaimedWork.await(() -> Panache.withSession(() -> DrillRecord.<DrillRecord>findById(drillId)));
        }
        if (drill.state == DrillState.FAILED) {
            throw new RestoreException("drill " + drillId + " found snapshot " + snapshotId + " not restorable (" + drill.stage + "): " + drill.reason
                    + "; the REPLACE was not started, nothing was paused or replaced (restore another snapshot)");
        }
        return "drill " + drillId + " proved snapshot " + snapshotId + " restorable first (recovery " + drill.recoveryMillis() + " ms)";
    }

    /** The id of the drill a REPLACE with drillFirst asks for: the restore's own, as a drill id. */
    public static String forRestore(String restoreId) {
        return Ids.derived("restore-", "", restoreId);
    }

    private static RestoreRefusedException busy(String clusterId, String runningId) {
        return new RestoreRefusedException(409, "cluster", (runningId == null ? "another drill of cluster '" + clusterId + "' was accepted at the same moment"
                : "drill " + runningId + " of cluster '" + clusterId + "' is running") + "; one drill per cluster at a time");
    }

    private static boolean anotherWasAccepted(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && cause.getMessage().contains(ONE_RUNNING_PER_CLUSTER)) {
                return true;
            }
        }
        return false;
    }

    private Uni<SnapshotRecord> chosen(String clusterId, String wanted) {
        if (DrillRequested.UNDRILLED.equals(wanted)) {
            Instant since = Instant.now().minus(config.undrilledWindow());
            return SnapshotRecord.<SnapshotRecord>find(UNDRILLED, clusterId, SnapshotKind.FULL, since, DrillState.PASSED, DrillState.FAILED)
                    .firstResult().map(found -> {
                        if (found == null) {
                            throw new RestoreRefusedException(404, "snapshot", NOTHING_UNDRILLED + clusterId + "' completed since " + since
                                    + " has a drill verdict");
                        }
                        return found;
                    });
        }
        if (RestoreRequested.LATEST.equals(wanted)) {
            return SnapshotRecord.newestFulls(clusterId, LATEST_CANDIDATES).map(rows -> RestoreRules.latest(clusterId, rows).snapshot());
        }
        Ids.require(wanted, "snapshot");
        return SnapshotRecord.<SnapshotRecord>findById(wanted).map(found -> {
            RestoreRules.requireRestorable(wanted, found);
            if (!found.clusterId.equals(clusterId)) {
                throw new RestoreRefusedException(400, "snapshot", "snapshot '" + wanted + "' belongs to cluster '" + found.clusterId + "', not '"
                        + clusterId + "'");
            }
            return found;
        });
    }

    private Uni<DrillRecord> start(String id, List<ClusterSpec.Member> members, Target target, String requester, Long toRevision) {
        SnapshotRecord snapshot = target.snapshot();
        DrillRecord drill = new DrillRecord();
        drill.id = id;
        drill.clusterId = snapshot.clusterId;
        drill.snapshotId = snapshot.id;
        drill.revision = target.revision();
        drill.toRevision = toRevision;
        drill.deltaIds = target.deltaIds();
        drill.requester = requester;
        drill.state = DrillState.RUNNING;
        KeyspaceFingerprint expected = target.expected();
        drill.expect(expected);
        if (expected == null) {
            drill.note = "no keyspace fingerprint was recorded with snapshot " + snapshot.id + " (taken before fingerprints were kept, or "
                    + "its source member did not answer HashKV): the drill proves it restores and serves, without comparing a hash";
        }
        drill.createdAt = Instant.now();
        Log.infof("drill %s: snapshot %s of cluster %s%s at revision %d%s", id, snapshot.id, snapshot.clusterId, target.deltaIds().isEmpty() ? ""
                : " + " + target.deltaIds().size() + " deltas", target.revision(), expected == null ? " (no recorded fingerprint)"
                        : ", expecting HashKV " + expected.hash() + " and " + expected.keys() + " keys");
        RunDrill command = nextAttempt(drill, members, snapshot);
        return drill.persist().chain(() -> outbox.emit(command)).replaceWith(drill);
    }

    /** The next attempt: RunDrill for the member after the one tried last, with a new deadline recorded on the drill. */
    private RunDrill nextAttempt(DrillRecord drill, List<ClusterSpec.Member> members, SnapshotRecord snapshot) {
        ClusterSpec.Member member = members.get(drill.attempts % members.size());
        drill.attempts++;
        drill.memberName = member.name();
        drill.updatedAt = Instant.now();
        drill.expiresAt = drill.updatedAt.plus(config.timeout());
        // drills recorded before the expected compaction was kept take the snapshot's fingerprint, as they did
        KeyspaceFingerprint expected = drill.expected() != null || !drill.deltas().isEmpty() ? drill.expected() : snapshot.fingerprint();
        return new RunDrill(drill.id, drill.clusterId, member.name(), snapshot.id, drill.revision, snapshot.rawSha256,
                snapshot.rawSize == null ? -1 : snapshot.rawSize, expected, drill.expiresAt, drill.deltas());
    }

    /** An etcd-agent's verdict (runs in the consumer's transaction); verdicts of drills not asked here, or already ended, are ignored. */
    public Uni<Void> completed(DrillCompleted verdict) {
        return running(verdict.drillId(), verdict.memberName()).chain(drill -> {
            if (drill == null) {
                return Uni.createFrom().voidItem();
            }
            drill.state = DrillState.PASSED;
            drill.memberName = verdict.memberName();
            drill.observedHash = verdict.observed().hash();
            drill.observedKeys = verdict.observed().keys();
            drill.hashCompared = verdict.hashCompared();
            drill.sampledKeys = (int) verdict.sampledKeys();
            drill.etcdVersion = verdict.etcdVersion();
            drill.measured(verdict.times());
            return ended(drill, null, null);
        });
    }

    public Uni<Void> failed(DrillFailed verdict) {
        if ("refused".equals(verdict.stage())) {
            // A command that reached the agent after it expired: that attempt's deadline has sent it again already.
            Log.infof("drill %s: the etcd-agent of %s did not run it: %s", verdict.drillId(), verdict.memberName(), verdict.reason());
            return Uni.createFrom().voidItem();
        }
        if ("no-room".equals(verdict.stage())) {
            // The agent's disk cannot take it: noted, and the attempt is due now, so that the next deadline check sends it to
            // the next member (or ends it at stage timeout, naming this — it says nothing of the snapshot).
            Log.warnf("drill %s: the etcd-agent of %s has no room for it: %s", verdict.drillId(), verdict.memberName(), verdict.reason());
            return running(verdict.drillId(), verdict.memberName()).chain(drill -> {
                if (drill == null || !drill.memberName.equals(verdict.memberName())) {
                    return Uni.createFrom().voidItem();
                }
                drill.note = (drill.note == null ? "" : drill.note + "; ") + refusal(drill.memberName) + "no room: " + verdict.reason();
                drill.expiresAt = Instant.now();
                drill.updatedAt = drill.expiresAt;
                return Uni.createFrom().voidItem();
            });
        }
        return running(verdict.drillId(), verdict.memberName()).chain(drill -> {
            if (drill == null) {
                return Uni.createFrom().voidItem();
            }
            drill.state = DrillState.FAILED;
            drill.memberName = verdict.memberName();
            drill.measured(verdict.times());
            return ended(drill, verdict.stage(), verdict.reason());
        });
    }

    private static Uni<DrillRecord> running(String id, String member) {
        return DrillRecord.<DrillRecord>findById(id).map(drill -> {
            if (drill == null || drill.state != DrillState.RUNNING) {
                Log.debugf("drill %s: a verdict from %s for a drill not running here; ignored", id, member);
                return null;
            }
            return drill;
        });
    }

    private Uni<Void> ended(DrillRecord drill, String stage, String reason) {
        drill.stage = stage;
        drill.reason = reason;
        drill.updatedAt = Instant.now();
        drill.finishedAt = drill.updatedAt;
        if (drill.state == DrillState.PASSED) {
            Log.infof("drill %s of cluster %s PASSED: snapshot %s restored on %s and served %d keys%s; recovery took %d ms", drill.id, drill.clusterId,
                    drill.snapshotId, drill.memberName, drill.observedKeys, Boolean.TRUE.equals(drill.hashCompared) ? " with the recorded HashKV" : "",
                    drill.recoveryMillis());
        } else {
            Log.warnf("drill %s of cluster %s FAILED at %s: %s", drill.id, drill.clusterId, stage, reason);
        }
        metrics.drillEnded(drill);
        return outbox.emit(new DrillEnded(drill.id, drill.clusterId, drill.snapshotId, drill.state == DrillState.PASSED, stage, reason,
                drill.recoveryMillis(), drill.finishedAt, drill.deltas())).replaceWithVoid();
    }

    void onStart(@Observes StartupEvent event) {
        deadlines = WakeableLoop.start("drill-deadlines", Duration.ofSeconds(5), config.checkEvery(), this::checkDeadlines);
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(deadlines);
    }

    /** Attempts past their deadline: sent again, or after the last one FAILED (each in the sweep's transaction). */
    void checkDeadlines() {
        try {
            ClaimedWork.await(this::retryOverdue);
        } catch (RuntimeException e) {
            Log.warnf("overdue drills not checked (the next check tries again): %s", e.getMessage());
        }
    }

    Uni<Void> retryOverdue() {
        return Panache.withTransaction(() -> Panache.getSession().chain(session -> session.createNativeQuery(OVERDUE, String.class).getResultList())
                .chain(ids -> {
                    Uni<Void> all = Uni.createFrom().voidItem();
                    for (String id : ids) {
                        all = all.chain(() -> DrillRecord.<DrillRecord>findById(id).chain(this::overdue));
                    }
                    return all;
                }));
    }

    /** How a note records that an agent did not run the drill. */
    private static String refusal(String member) {
        return "the etcd-agent of member " + member + " did not run it: ";
    }

    private Uni<Void> overdue(DrillRecord drill) {
        // this attempt's refusal, when its agent sent one (noted after the last "sent again")
        int refusal = drill.note == null ? -1 : drill.note.lastIndexOf(refusal(drill.memberName));
        boolean refused = refusal >= 0 && drill.note.indexOf(SENT_AGAIN, refusal) < 0;
        String lost = refused ? drill.note.substring(refusal) : "the etcd-agent of member " + drill.memberName + " gave no verdict within " + config.timeout().toSeconds() + " s";
        if (drill.attempts >= config.attempts()) {
            drill.state = DrillState.FAILED;
            return ended(drill, "timeout", lost + " (attempt " + drill.attempts + " of " + config.attempts() + ")" + (refused ? ""
                    : "; is an etcd-agent running on the cluster's members?"));
        }
        // One session does one thing at a time: the cluster, then the snapshot.
        return ClusterRecord.<ClusterRecord>findById(drill.clusterId).chain(cluster -> SnapshotRecord.<SnapshotRecord>findById(drill.snapshotId)
                .chain(snapshot -> {
                    if (cluster == null || cluster.deleted || cluster.spec().members().isEmpty() || snapshot == null || snapshot.deleted) {
                        drill.state = DrillState.FAILED;
                        return ended(drill, "timeout", lost + ", and the drill cannot be sent again: its cluster or snapshot is gone");
                    }
                    drill.note = (drill.note == null ? "" : drill.note + "; ") + lost + SENT_AGAIN;
                    Log.warnf("drill %s: %s; sending it again (attempt %d of %d)", drill.id, lost, drill.attempts + 1, config.attempts());
                    return outbox.emit(nextAttempt(drill, cluster.spec().members(), snapshot)).replaceWithVoid();
                }));
    }
}
