package dev.lifeboat.restore.saga;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.access.store.ObjectStoreException;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.events.work.Failures;
import dev.lifeboat.restore.RestoreMetrics;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.etcd.EtcdKeyspace;
import dev.lifeboat.restore.drill.Drills;
import dev.lifeboat.restore.etcd.RestoreException;
import dev.lifeboat.restore.fetch.SnapshotFetcher;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import dev.lifeboat.restore.state.KeyState;
import dev.lifeboat.restore.state.PointInTimeState;
import dev.lifeboat.restore.state.SnapshotState;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.events.runtime.Traces;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Drives restores through their phases, on worker threads:
 *
 * <pre>
 * VALIDATING → PAUSING → FETCHING → RESTORING → VERIFYING → RESUMING → COMPLETED | FAILED
 * (dry run:   VALIDATING → FETCHING → RESTORING (reads only) → COMPLETED)
 * </pre>
 *
 * Each phase is persisted before it starts and every step can run again, so an instance that takes
 * over a restore whose claim lapsed (its instance died) continues from the stored phase. A failure
 * before RESTORING leaves the data untouched and hands the cluster back (resume hooks, resume). A
 * REPLACE is all or nothing: when any member fails (or does not answer) after some member's data dir
 * was replaced, the restore FAILS with the cause and every member is rolled back to its pre-restore
 * data automatically, then the cluster is resumed. An API restore that fails after the first write
 * keeps the cluster paused, because its keyspace may be half restored.
 */
@ApplicationScoped
public class RestoreSaga {

    private static final int CONCURRENT_RESTORES = 4;
    private static final List<Class<? extends Throwable>> EXPLAINED = List.of(RestoreException.class, EtcdRejectedException.class,
            EtcdUnavailableException.class, ObjectStoreException.class);

    private final Restores restores;
    private final MemberCommands memberCommands;
    private final Rollbacks rollbacks;
    private final SnapshotFetcher fetcher;
    private final EtcdKeyspace keyspace;
    private final Hooks hooks;
    private final RestoreServiceConfig config;
    private final String owner = ClaimedWork.ownerName("restore-service");
    private volatile ClaimedWork<RestoreRecord> work;

    private final RestoreMetrics metrics;
    private final Tracer tracer;
    private final Drills drills;

    public RestoreSaga(Restores restores, MemberCommands memberCommands, Rollbacks rollbacks, SnapshotFetcher fetcher, EtcdKeyspace keyspace, Hooks hooks, RestoreServiceConfig config,
            RestoreMetrics metrics, Tracer tracer, Drills drills) {
        this.drills = drills;
        this.metrics = metrics;
        this.tracer = tracer;
        this.restores = restores;
        this.memberCommands = memberCommands;
        this.rollbacks = rollbacks;
        this.fetcher = fetcher;
        this.keyspace = keyspace;
        this.hooks = hooks;
        this.config = config;
    }

    void onStart(@Observes StartupEvent event) {
        work = ClaimedWork.start("restore", owner, CONCURRENT_RESTORES, config.pollInterval(), config.claimDuration(),
                owner -> restores.claimNext(owner, config.claimDuration()),
                (restore, owner) -> restores.extend(restore.id, owner, config.claimDuration()), restore -> drive(restore.id));
    }

    /** A restore or a rollback was asked for and committed: look for work now. */
    public void wake() {
        if (work != null) {
            work.wake();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (work != null) {
            work.close();
        }
    }

    /**
     * Drives one restore in a span that continues the trace of its request (stored with it), whichever
     * instance drives it; each phase is a child span, and the events and agent commands it emits carry the
     * trace on.
     */
    void drive(String id) {
        RestoreRecord loaded;
        try {
            loaded = await(() -> restores.load(id));
        } catch (RuntimeException e) {
            Log.warnf("restore %s cannot be loaded: %s", id, e.getMessage());
            return;
        }
        Span span = tracer.spanBuilder("restore " + id).setParent(Traces.parent(loaded.traceparent)).setAttribute("lifeboat.restore.id", id)
                .setAttribute("lifeboat.cluster.id", loaded.targetCluster).setAttribute("lifeboat.snapshot.id", loaded.snapshotId)
                .setAttribute("lifeboat.restore.mode", loaded.mode.name()).startSpan();
        try (Scope scope = span.makeCurrent()) {
            drive(id, loaded);
        } finally {
            span.end();
        }
    }

    private void drive(String id, RestoreRecord loaded) {
        try {
            driveOrFail(id, loaded);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            Log.warnf("restore %s: stopped with the service; another instance continues it once the claim lapsed", id);
        }
        fetcher.cleanUp(id);
    }

    private void driveOrFail(String id, RestoreRecord loaded) throws InterruptedException {
        RestoreRecord restore = loaded;
        try {
            if (restore.phase.terminal() && restore.rollback.state == RollbackState.REQUESTED) {
                rollBack(restore);
                return;
            }
            while (!restore.phase.terminal()) {
                RestorePhase next = traced(restore);
                RestorePhase from = restore.phase;
                run(() -> restores.advance(id, owner, next));
                Span.current().addEvent(from + " -> " + next);
                restore = await(() -> restores.load(id));
            }
            metrics.ended(restore.targetCluster, restore.mode.name(), restore.isPointInTime(), restore.phase == RestorePhase.COMPLETED,
                    restore.createdAt);
        } catch (Restores.ClaimLostException e) {
            Log.warnf("%s; stopping here", e.getMessage());
        } catch (RuntimeException e) {
            failed(restore, id, e);
            metrics.ended(restore.targetCluster, restore.mode.name(), restore.isPointInTime(), false, restore.createdAt);
        }
    }

    /** One phase in a span of its own. */
    private RestorePhase traced(RestoreRecord restore) throws InterruptedException {
        Span span = tracer.spanBuilder("restore " + restore.phase).setAttribute("lifeboat.restore.id", restore.id)
                .setAttribute("lifeboat.cluster.id", restore.targetCluster).setAttribute("lifeboat.snapshot.id", restore.snapshotId).startSpan();
        try (Scope scope = span.makeCurrent()) {
            RestorePhase next = step(restore);
            span.setAttribute("lifeboat.restore.next", next.name());
            return next;
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, reason(e));
            throw e;
        } finally {
            span.end();
        }
    }

    /** Runs one phase; returns the next. */
    private RestorePhase step(RestoreRecord restore) throws InterruptedException {
        String id = restore.id;
        switch (restore.phase) {
            case VALIDATING -> {
                if (restore.drillFirst && !restore.dryRun) {
                    String proof = drills.proveRestorable(restore.clusterId, restore.snapshotId, "restore " + id, Drills.forRestore(id));
                    run(() -> restores.note(id, owner, proof));
                }
                fetcher.download(id, source(restore));
                for (String delta : restore.deltas()) {
                    fetcher.download(id, source(delta));
                }
                return restore.dryRun ? RestorePhase.FETCHING : RestorePhase.PAUSING;
            }
            case PAUSING -> {
                if (!restore.pause.requested) {
                    run(() -> restores.requestPause(id, owner));
                }
                if (!awaitAck(id, true)) {
                    throw new RestoreException("the scheduler did not confirm the pause of cluster '" + restore.targetCluster + "' within "
                            + config.ackTimeout().toSeconds() + " s");
                }
                hooks.run("pause", config.pause(), id, restore.targetCluster);
                return RestorePhase.FETCHING;
            }
            case FETCHING -> {
                fetcher.decode(id, source(restore));
                decodeDeltas(restore);
                return RestorePhase.RESTORING;
            }
            case RESTORING -> {
                if (restore.mode == RestoreMode.REPLACE && !restore.dryRun) {
                    replaceMembers(restore);
                    return RestorePhase.VERIFYING;
                }
                EtcdKeyspace.Outcome outcome;
                try (KeyState state = state(restore)) {
                    outcome = keyspace.restore(restore.targetCluster, spec(restore.targetCluster), state, prefix(restore), restore.prune,
                            restore.dryRun, new Throttled(id));
                }
                run(() -> restores.outcome(id, owner, outcome.total(), outcome.put(), outcome.deleted(), outcome.unchanged()));
                Log.infof("restore %s: %d keys in the snapshot%s, %d %s, %d unchanged, %d %s", id, outcome.total(),
                        restore.keyPrefix == null ? "" : " under " + restore.keyPrefix, outcome.put(), restore.dryRun ? "would be put" : "put",
                        outcome.unchanged(), outcome.deleted(), restore.dryRun ? "would be deleted" : "deleted");
                return restore.dryRun ? RestorePhase.COMPLETED : RestorePhase.VERIFYING;
            }
            case VERIFYING -> {
                try (KeyState state = state(restore)) {
                    if (restore.mode == RestoreMode.REPLACE) {
                        EtcdKeyspace.MembersVerified verified = keyspace.verifyMembers(restore.targetCluster, spec(restore.targetCluster), state);
                        Log.infof("restore %s: every member serves the %d keys of revision %d at revision %d", id, verified.keys(), state.revision(),
                                verified.revision());
                        run(() -> restores.outcome(id, owner, verified.keys(), verified.keys(), 0, 0));
                        return RestorePhase.RESUMING;
                    }
                    keyspace.verify(restore.targetCluster, spec(restore.targetCluster), state, prefix(restore), restore.prune);
                }
                return RestorePhase.RESUMING;
            }
            case RESUMING -> {
                handBack(restore);
                return RestorePhase.COMPLETED;
            }
            default -> throw new IllegalStateException("restore " + id + " is " + restore.phase);
        }
    }

    /**
     * Point in time, FETCHING: decodes and checks every delta (its own SHA-256, header and trailer, no hole
     * inside) and that they follow each other and the snapshot without a hole up to the target; for a target
     * time, records the revision it resolves to.
     */
    private void decodeDeltas(RestoreRecord restore) throws InterruptedException {
        if (!restore.isPointInTime()) {
            return;
        }
        SnapshotFetcher.Source full = source(restore);
        long reached = full.revision();
        for (String delta : restore.deltas()) {
            DeltaFile.Summary summary = fetcher.decodeDelta(restore.id, source(delta));
            if (summary.firstRevision() > reached + 1) {
                throw new RestoreException("the deltas of restore " + restore.id + " leave revisions " + (reached + 1) + "–" + (summary.firstRevision() - 1)
                        + " out (delta " + delta + " starts at " + summary.firstRevision() + "): the chain has a gap");
            }
            reached = Math.max(reached, summary.lastRevision());
        }
        if (restore.pointInTime.toRevision != null && reached < restore.pointInTime.toRevision) {
            throw new RestoreException("the deltas of restore " + restore.id + " reach revision " + reached + ", not " + restore.pointInTime.toRevision);
        }
        if (restore.pointInTime.toTime != null) {
            long resolved;
            try (KeyState state = state(restore)) {
                resolved = state.revision();
            }
            Log.infof("restore %s: the state at %s is revision %d", restore.id, restore.pointInTime.toTime, resolved);
            run(() -> restores.targetRevision(restore.id, owner, resolved));
        }
    }

    /** The keyspace to bring back: the snapshot's, or at a point in time the snapshot with the deltas applied up to the target. */
    private KeyState state(RestoreRecord restore) {
        Path db = fetcher.ensureDecoded(restore.id, source(restore));
        if (restore.deltas().isEmpty()) {
            return new SnapshotState(db);
        }
        List<Path> files = new java.util.ArrayList<>();
        for (String delta : restore.deltas()) {
            Path file = fetcher.deltaFile(restore.id, delta);
            if (!java.nio.file.Files.isRegularFile(file)) {
                fetcher.decodeDelta(restore.id, source(delta));
            }
            files.add(file);
        }
        long upTo = restore.pointInTime.targetRevision != null ? restore.pointInTime.targetRevision : Long.MAX_VALUE;
        return new PointInTimeState(db, files, upTo, restore.pointInTime.toTime);
    }

    /**
     * REPLACE, RESTORING: RestoreMember to every member's etcd-agent (once), then wait for all answers.
     * Any member failing fails the restore with every member's reason; the agents keep the old data dirs.
     */
    private void replaceMembers(RestoreRecord restore) throws InterruptedException {
        String id = restore.id;
        if (!restore.membersCommanded) {
            run(() -> memberCommands.commandMembers(id, owner, config.bumpRevision(), Instant.now().plus(config.memberTimeout())));
        }
        Instant started = restore.phases.startedAt(RestorePhase.RESTORING);
        if (started == null) {
            started = Instant.now();
        }
        List<MemberRecord> members = awaitMembers(id, started, row -> row.state, true);
        List<String> failures = members.stream().filter(row -> row.state != MemberState.RESTORED)
                .map(row -> row.memberName + ": " + (row.state == MemberState.COMMANDED ? "still restoring (stopped: the restore cannot complete on every member)"
                        : row.reason == null ? "no answer" : row.reason)).toList();
        if (!failures.isEmpty()) {
            throw new RestoreException("member restore failed — " + String.join("; ", failures));
        }
        List<String> notes = members.stream().filter(row -> !Boolean.TRUE.equals(row.revisionBumped) && row.note != null)
                .map(row -> row.note).distinct().toList();
        if (!notes.isEmpty()) {
            run(() -> restores.note(id, owner, String.join("; ", notes)));
        }
    }

    /**
     * Waits until no member is COMMANDED any more (in the given state), or — with {@code stopAtFirstFailure} — one
     * member FAILED (a REPLACE then cannot complete on every member, so waiting for the others only keeps the cluster
     * down longer); fails when the member timeout from {@code since} passed.
     */
    private List<MemberRecord> awaitMembers(String id, Instant since, Function<MemberRecord, MemberState> state, boolean stopAtFirstFailure)
            throws InterruptedException {
        Instant deadline = since.plus(config.memberTimeout());
        while (true) {
            List<MemberRecord> members = await(() -> memberCommands.members(id));
            List<String> waiting = members.stream().filter(row -> state.apply(row) == MemberState.COMMANDED).map(row -> row.memberName).toList();
            if (waiting.isEmpty() || stopAtFirstFailure && members.stream().anyMatch(row -> state.apply(row) == MemberState.FAILED)) {
                return members;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new RestoreException("the etcd-agents of members " + waiting + " did not answer within " + config.memberTimeout().toSeconds()
                        + " s (is an etcd-agent running for each member, and can it reach Kafka and snapshot-service?)");
            }
            Thread.sleep(300);
        }
    }

    /**
     * A rollback of a REPLACE restore — asked for over REST, or started by {@link #failed} when the restore failed
     * after some member's data was replaced: RollbackMember to every member that was commanded (once), wait for
     * all answers, then hand the cluster back (resume hooks, resume) when every member has its pre-restore data
     * again. A member whose restore failed before its data dir was touched has it already: its rollback is
     * NOT_NEEDED, also when its restore's answer came only after the rollback was sent to it (an agent that refused
     * the restore command before writing anything has no record of it).
     */
    private void rollBack(RestoreRecord restore) throws InterruptedException {
        String id = restore.id;
        try {
            if (!restore.rollback.commanded) {
                run(() -> rollbacks.commandRollback(id, owner, Instant.now().plus(config.memberTimeout())));
            }
            List<MemberRecord> members = awaitMembers(id, restore.updatedAt, row -> row.rollbackState, false);
            List<String> failures = members.stream().filter(row -> row.rollbackState != MemberState.ROLLED_BACK && row.rollbackState != MemberState.NOT_NEEDED)
                    .map(row -> row.memberName + ": " + (row.rollbackReason == null ? "no answer" : row.rollbackReason)).toList();
            if (!failures.isEmpty()) {
                String error = "rollback failed — " + String.join("; ", failures);
                run(() -> rollbacks.endRollback(id, owner, error, null));
                return;
            }
            hooks.run("resume", config.resume(), id, restore.targetCluster);
            if (!restore.pause.resumeRequested) {
                run(() -> rollbacks.requestResume(id, owner));
            }
            String note = awaitAck(id, false) ? null : "rolled back; the scheduler did not confirm the resume of cluster '" + restore.targetCluster
                    + "' within " + config.ackTimeout().toSeconds() + " s";
            run(() -> rollbacks.endRollback(id, owner, null, note));
        } catch (Restores.ClaimLostException e) {
            Log.warnf("%s; stopping here", e.getMessage());
        } catch (RuntimeException e) {
            String error = reason(e);
            try {
                run(() -> rollbacks.endRollback(id, owner, error, null));
            } catch (RuntimeException recordFailure) {
                Log.errorf("rollback of restore %s failed (%s) and the failure could not be recorded: %s", id, error, recordFailure.getMessage());
            }
        }
    }

    /** Resume hooks, then the scheduler's resume; a missing acknowledgement is noted, not fatal. */
    private void handBack(RestoreRecord restore) throws InterruptedException {
        hooks.run("resume", config.resume(), restore.id, restore.targetCluster);
        if (!restore.pause.resumeRequested) {
            run(() -> restores.requestResume(restore.id, owner));
        }
        if (!awaitAck(restore.id, false)) {
            String note = "the scheduler did not confirm the resume of cluster '" + restore.targetCluster + "' within "
                    + config.ackTimeout().toSeconds() + " s; check that it takes backups again";
            Log.warnf("restore %s: %s", restore.id, note);
            run(() -> restores.note(restore.id, owner, note));
        }
    }

    private void failed(RestoreRecord restore, String id, RuntimeException e) throws InterruptedException {
        String error = reason(e);
        if (restore != null && !restore.dryRun) {
            RestoreRecord current = restore;
            try {
                current = await(() -> restores.load(id));
            } catch (RuntimeException ignored) {
                // the phase read at the start of the step is good enough
            }
            boolean untouched = current.phase.ordinal() < RestorePhase.RESTORING.ordinal();
            boolean noMemberChanged = !untouched && current.mode == RestoreMode.REPLACE && current.membersCommanded && noMemberChanged(id);
            if ((untouched || noMemberChanged) && current.pause.requested) {
                String what = untouched ? "nothing was written" : "no member's data was changed";
                try {
                    handBack(current);
                    error += "; " + what + " and cluster '" + current.targetCluster + "' was resumed";
                } catch (RuntimeException resume) {
                    error += "; " + what + ", but resuming cluster '" + current.targetCluster + "' failed: " + reason(resume);
                }
            } else if (current.mode == RestoreMode.REPLACE && current.membersCommanded && current.phase != RestorePhase.RESUMING) {
                String message = error + "; every member is being put back to its pre-restore data (automatic rollback), then cluster '"
                        + current.targetCluster + "' is resumed";
                try {
                    run(() -> restores.failAndRollBack(id, owner, message));
                    return;
                } catch (Restores.ClaimLostException lost) {
                    Log.warnf("restore %s failed (%s) after this instance lost its claim", id, message);
                    return;
                } catch (RuntimeException recordFailure) {
                    // Recording the rollback failed (PostgreSQL unreachable?): the restore stays RESTORING and claimed until the
                    // claim lapses; the instance that takes it over finds the same answers and starts the rollback then.
                    Log.errorf("restore %s failed (%s) and the rollback could not be recorded: %s", id, message, recordFailure.getMessage());
                    return;
                }
            } else if (current.mode == RestoreMode.REPLACE && current.membersCommanded) {
                error += "; cluster '" + current.targetCluster + "' stays paused; the members' previous data dirs are kept: "
                        + "POST /api/v1/restores/" + id + "/rollback puts them back, or run the restore again";
            } else if (current.phase == RestorePhase.RESTORING || current.phase == RestorePhase.VERIFYING) {
                error += "; cluster '" + current.targetCluster + "' stays paused because its keyspace may be partly restored: "
                        + "run the restore again, or resume the cluster";
            }
        }
        String message = error;
        try {
            run(() -> restores.fail(id, owner, message));
        } catch (Restores.ClaimLostException lost) {
            Log.warnf("restore %s failed (%s) after this instance lost its claim", id, message);
        } catch (RuntimeException recordFailure) {
            Log.errorf("restore %s failed (%s) and the failure could not be recorded: %s", id, message, recordFailure.getMessage());
        }
    }

    /** Whether every member of a REPLACE answered that its restore failed before its data dir was replaced. */
    private boolean noMemberChanged(String id) {
        try {
            List<MemberRecord> members = await(() -> memberCommands.members(id));
            return !members.isEmpty() && members.stream().allMatch(MemberRecord::unchanged);
        } catch (RuntimeException e) {
            Log.warnf("restore %s: the members' answers cannot be read (%s); the cluster stays paused", id, e.getMessage());
            return false;
        }
    }

    /** The failure as a person should read it: no stack trace, no secret. */
    static String reason(Throwable e) {
        return Failures.reason(e, EXPLAINED);
    }

    private boolean awaitAck(String id, boolean pause) throws InterruptedException {
        Instant deadline = Instant.now().plus(config.ackTimeout());
        while (Instant.now().isBefore(deadline)) {
            RestoreRecord current = await(() -> restores.load(id));
            if (pause ? current.pause.paused : current.pause.resumed) {
                return true;
            }
            Thread.sleep(200);
        }
        return false;
    }

    private SnapshotFetcher.Source source(RestoreRecord restore) {
        return source(restore.snapshotId);
    }

    private SnapshotFetcher.Source source(String snapshotId) {
        SnapshotRecord snapshot = await(() -> Panache.withSession(() -> SnapshotRecord.<SnapshotRecord>findById(snapshotId)));
        if (snapshot == null || snapshot.deleted) {
            throw new RestoreException("snapshot " + snapshotId + " was deleted while the restore waited");
        }
        return new SnapshotFetcher.Source(snapshot.id, snapshot.bucket, snapshot.objectKey, snapshot.storedSize, snapshot.storedSha256,
                snapshot.rawSha256, snapshot.compression, snapshot.encryptionKeyId, snapshot.revision);
    }

    private ClusterSpec spec(String clusterId) {
        ClusterRecord cluster = await(() -> Panache.withSession(() -> ClusterRecord.<ClusterRecord>findById(clusterId)));
        if (cluster == null || cluster.deleted) {
            throw new RestoreException("cluster '" + clusterId + "' was deleted while the restore ran");
        }
        return cluster.spec();
    }

    private static byte[] prefix(RestoreRecord restore) {
        return restore.keyPrefix == null ? new byte[0] : restore.keyPrefix.getBytes(StandardCharsets.UTF_8);
    }

    /** Records progress at most once a second. */
    private final class Throttled implements EtcdKeyspace.Progress {
        private final String id;
        private long last;

        Throttled(String id) {
            this.id = id;
        }

        @Override
        public void update(long processed, long total) {
            long now = System.nanoTime();
            if (processed != 0 && processed != total && now - last < Duration.ofSeconds(1).toNanos()) {
                return;
            }
            last = now;
            try {
                run(() -> restores.progress(id, owner, total, processed));
            } catch (Restores.ClaimLostException e) {
                throw e;
            } catch (RuntimeException e) {
                Log.debugf("restore %s: progress not recorded: %s", id, e.getMessage());
            }
        }
    }

    private static <T> T await(Supplier<Uni<T>> work) {
        return ClaimedWork.await(work);
    }

    private static void run(Supplier<Uni<Void>> work) {
        ClaimedWork.await(work);
    }
}
