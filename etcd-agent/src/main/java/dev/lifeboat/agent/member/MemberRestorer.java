package dev.lifeboat.agent.member;

import java.util.List;
import dev.lifeboat.events.work.Failures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.locks.ReentrantLock;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.etcd.DeltaReplay;
import dev.lifeboat.agent.etcd.EtcdProcessException;
import dev.lifeboat.agent.etcd.EtcdSupervisor;
import dev.lifeboat.agent.etcd.RestoreTool;
import dev.lifeboat.agent.messaging.Replies;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.MemberRestoreFailed;
import dev.lifeboat.events.MemberRestored;
import dev.lifeboat.events.MemberRolledBack;
import dev.lifeboat.events.MemberSelfHealed;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.RollbackMember;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Replaces the member's data dir with a snapshot, and puts it back on request. The order keeps the
 * member's downtime short and its data safe:
 * <ol>
 * <li>PREPARING, etcd still serving: fetch the plain snapshot, run etcd's restore into a staging dir
 * ({@code <data-dir>.restoring-<restore id>});</li>
 * <li>SWAPPING: stop etcd, move the data dir to {@code <data-dir>.pre-restore-<UTC time>}, move the
 * staging dir into its place (two renames);</li>
 * <li>RESTORED: start etcd, wait for {@code /health}, answer with the member's revision.</li>
 * </ol>
 * Each step is written to the state file before it starts. After a crash, {@link #recover()} undoes a
 * PREPARING or SWAPPING step (the old data dir goes back) and finishes a RESTORED one, so etcd never
 * starts on a half-written data dir. One operation runs at a time.
 */
@ApplicationScoped
public class MemberRestorer {

    private static final int FAILED_KEPT = 1000;
    private static final DateTimeFormatter ASIDE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    private final AgentConfig config;
    private final EtcdSupervisor etcd;
    private final RestoreTool tool;
    private final SnapshotDownload download;
    private final StateFiles states;
    private final Replies replies;
    private final DeltaReplay replay;
    private final PreRestoreCopies copies;
    private final ReentrantLock lock = new ReentrantLock();
    /** Restores the saga reported COMPLETED that are not yet on their state files (see {@link #sagaCompleted}). */
    private final java.util.Map<String, Instant> completions = new java.util.concurrent.ConcurrentHashMap<>();
    /** The restore running now (read outside the lock, for the log). */
    private volatile String running;
    /**
     * Restores whose saga this agent heard FAILED (on the restore events, outside the lock), the newest {@value #FAILED_KEPT}: a
     * command that reaches the agent after its restore failed elsewhere — the agent was down or its consumer waited for
     * Kafka — is not run, and one running stops before the swap or stops waiting for its peers' quorum.
     */
    private final java.util.Set<String> failedSagas = java.util.Collections.synchronizedSet(java.util.Collections.newSetFromMap(
            new java.util.LinkedHashMap<>() {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<String, Boolean> eldest) {
                    return size() > FAILED_KEPT;
                }
            }));

    public MemberRestorer(AgentConfig config, EtcdSupervisor etcd, RestoreTool tool, SnapshotDownload download, StateFiles states,
            Replies replies, DeltaReplay replay, PreRestoreCopies copies) {
        this.copies = copies;
        this.config = config;
        this.etcd = etcd;
        this.tool = tool;
        this.download = download;
        this.states = states;
        this.replies = replies;
        this.replay = replay;
    }

    /** Whether this agent has a state file for the restore (it received its command before). */
    public boolean knows(String restoreId) {
        return states.find(restoreId).isPresent();
    }

    /** The state of every restore this agent took part in, oldest first. */
    public java.util.List<RestoreState> history() {
        return states.all();
    }

    /** Runs a RestoreMember command to its end and answers it; a command seen before is only answered again. */
    public void restore(RestoreMember command) {
        restore(command, null, null);
    }

    /**
     * Self-healing: restores the member from {@code snapshotId} on the agent's own initiative, as a restore the saga
     * would command (same steps, state file and crash safety), answered with {@code MemberSelfHealed}. Returns the
     * restore's state at its end; empty when another restore held the member (the caller tries again later).
     */
    public java.util.Optional<RestoreState> heal(RestoreMember command, String refusal, long snapshotRevision) {
        if (!lock.tryLock()) {
            return java.util.Optional.empty();
        }
        try {
            restore(command, refusal, snapshotRevision);
            return states.find(command.restoreId());
        } finally {
            endOperation();
        }
    }

    private void restore(RestoreMember command, String selfHealRefusal, Long snapshotRevision) {
        lock.lock();
        try {
            var known = states.find(command.restoreId());
            if (known.isPresent()) {
                Log.infof("restore %s was received before (step %s); answering again", command.restoreId(), known.get().step);
                answer(known.get());
                return;
            }
            RestoreState state = new RestoreState();
            state.restoreId = command.restoreId();
            state.clusterId = command.clusterId();
            state.memberName = command.memberName();
            state.snapshotId = command.snapshotId();
            state.members = command.members();
            state.initialClusterToken = command.initialClusterToken();
            state.bumpRevision = command.bumpRevision();
            if (command.pointInTime() != null) {
                state.deltaSnapshotIds = command.pointInTime().deltaSnapshotIds();
                state.toRevision = command.pointInTime().toRevision();
            }
            state.receivedAt = Instant.now();
            state.expiresAt = command.expiresAt();
            state.selfHealRefusal = selfHealRefusal;
            state.snapshotRevision = snapshotRevision;
            state.step = RestoreState.Step.PREPARING;
            try {
                states.save(state);
            } catch (RuntimeException e) {
                // Nothing was touched; without a state file the agent cannot restore safely (a full disk, a read-only dir).
                String why = reason(e) + "; the member's data was not changed";
                Log.warnf("restore %s: member %s not restored: %s", state.restoreId, state.memberName, why);
                replies.send(new MemberRestoreFailed(state.restoreId, state.clusterId, state.memberName, why, false, Instant.now()),
                        state.restoreId + "/" + state.memberName + "/no-state");
                return;
            }
            running = state.restoreId;
            Log.infof("restore %s: replacing member %s's data with snapshot %s", state.restoreId, state.memberName, state.snapshotId);
            try {
                prepareAndSwap(state);
            } catch (RuntimeException e) {
                undo(state, reason(e));
                return;
            }
            finish(state);
            releaseCopies();
        } finally {
            running = null;
            endOperation();
        }
    }

    /**
     * The saga reported the restore FAILED (another member failed, or did not answer): if it is the one running here,
     * it stops before replacing the data dir, or stops waiting for its peers' quorum; if its command has not been run
     * yet, it never runs. The rollback that follows puts the member's data back.
     */
    public void sagaFailed(String restoreId) {
        failedSagas.add(restoreId);
        if (restoreId.equals(running)) {
            Log.infof("restore %s failed on another member; member %s stops it here", restoreId, config.memberName());
        }
    }

    /** Why the restore should stop (its saga failed), or null. */
    private String abandoned(RestoreState state) {
        return failedSagas.contains(state.restoreId) ? "restore " + state.restoreId + " failed on another member" : null;
    }

    private void prepareAndSwap(RestoreState state) {
        if (abandoned(state) != null) {
            throw new MemberRestoreException("restore " + state.restoreId + " had already failed when its command reached the etcd-agent of member "
                    + state.memberName + "; not run");
        }
        Path staging = staging(state);
        Path db = snapshotFile(state);
        deleteTree(staging);
        long bytes = download.fetch(state.snapshotId, db);
        Log.infof("restore %s: fetched snapshot %s (%d bytes)", state.restoreId, state.snapshotId, bytes);
        String replayNote = null;
        if (state.deltaSnapshotIds != null && !state.deltaSnapshotIds.isEmpty()) {
            DeltaReplay.Outcome replayed = replay.replay(db, state.deltaSnapshotIds, state.toRevision, scratch(state), download::fetch);
            replayNote = String.format(java.util.Locale.ROOT, "replayed %d revisions (%d changes) of %d deltas onto snapshot %s up to revision %d in %.1f s",
                    replayed.revisions(), replayed.changes(), state.deltaSnapshotIds.size(), state.snapshotId, replayed.revision(), replayed.seconds());
            try {
                Files.move(replayed.snapshot(), db, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                throw new MemberRestoreException("cannot move the replayed snapshot into place: " + e.getMessage());
            }
            deleteTree(scratch(state));
            Log.infof("restore %s: %s", state.restoreId, replayNote);
        }
        RestoreTool.Outcome outcome;
        try {
            outcome = tool.restore(db, staging, state.members, state.initialClusterToken, state.bumpRevision);
        } finally {
            deleteQuietly(db);
        }
        state.revisionBumped = outcome.revisionBumped();
        state.note = replayNote == null ? outcome.note() : replayNote + "; " + outcome.note();
        String stop = abandoned(state);
        if (stop != null) {
            throw new MemberRestoreException(stop + "; the data dir was not replaced");
        }
        Path dataDir = etcd.dataDir();
        state.asideDir = dataDir.resolveSibling(dataDir.getFileName() + ".pre-restore-" + ASIDE_TIME.format(Instant.now())).toString();
        state.step = RestoreState.Step.SWAPPING;
        states.save(state);
        etcd.stop();
        try {
            Files.createDirectories(dataDir);
            Files.move(dataDir, Path.of(state.asideDir), StandardCopyOption.ATOMIC_MOVE);
            Files.move(staging, dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new MemberRestoreException("cannot swap the data dir " + dataDir + " for the restored one: " + e.getMessage());
        }
        state.step = RestoreState.Step.RESTORED;
        states.save(state);
        Log.infof("restore %s: data dir replaced; the previous one is kept at %s", state.restoreId, state.asideDir);
    }

    /**
     * RESTORED → etcd up on the restored data → DONE; or FAILED (etcd stopped, the aside dir kept for a rollback). A member
     * of several serves only once a quorum of its peers restored too, so it waits for them until the saga stops waiting
     * (the command's {@code expiresAt}); an etcd that exits on the restored data fails at once.
     */
    private void finish(RestoreState state) {
        try {
            etcd.start();
            etcd.awaitHealthy(healthWait(state), true, () -> abandoned(state));
            EtcdSupervisor.Status status = etcd.status();
            state.revision = status.revision();
            state.step = RestoreState.Step.DONE;
            state.answered = false;
            states.save(state);
            Log.infof("restore %s: member %s serves the snapshot at revision %d", state.restoreId, state.memberName, state.revision);
        } catch (RuntimeException e) {
            etcd.stop();
            state.step = RestoreState.Step.FAILED;
            state.dataChanged = true;
            state.failure = "etcd did not serve the restored data: " + reason(e) + "; its previous data dir is kept at " + state.asideDir
                    + " (roll back to put it back)";
            state.answered = false;
            states.save(state);
            Log.warnf("restore %s: %s", state.restoreId, state.failure);
        }
        answer(state);
    }

    /** How long etcd may take to serve the restored data: the health timeout, or for a member of several until the command expires. */
    private java.time.Duration healthWait(RestoreState state) {
        java.time.Duration timeout = config.healthTimeout();
        if (state.members == null || state.members.size() < 2 || state.expiresAt == null) {
            return timeout;
        }
        java.time.Duration untilExpiry = java.time.Duration.between(Instant.now(), state.expiresAt);
        return untilExpiry.compareTo(timeout) > 0 ? untilExpiry : timeout;
    }

    /** A failure before the restored data dir was in place: the old data dir goes back, etcd serves it again. */
    private void undo(RestoreState state, String why) {
        try {
            putAsideBack(state);
            state.asideDir = null;
            deleteTree(staging(state));
            deleteTree(scratch(state));
            deleteQuietly(snapshotFile(state));
            etcd.start();
            state.dataChanged = false;
            state.failure = why + "; the member's data was not changed";
        } catch (RuntimeException e) {
            // The previous data dir stays where it is and is named: it is the member's data, and a rollback needs it.
            state.dataChanged = true;
            state.failure = why + "; putting the previous data dir back failed too: " + reason(e)
                    + (state.asideDir == null ? "" : "; it is kept at " + state.asideDir);
        }
        state.step = RestoreState.Step.FAILED;
        state.answered = false;
        saveOrWarn(state);
        Log.warnf("restore %s: member %s not restored: %s", state.restoreId, state.memberName, state.failure);
        answer(state);
    }

    /**
     * Rollback: puts the pre-restore data dir back and sets the data dir it replaces aside (the restored data and
     * every write since), never deleting it. Each rename is recorded first, so a crash in between is finished by
     * running this again.
     */
    private void swapBack(RestoreState state) {
        if (state.asideDir == null || !Files.isDirectory(Path.of(state.asideDir))) {
            return;
        }
        etcd.stop();
        Path dataDir = etcd.dataDir();
        if (state.replacedDir == null) {
            state.replacedDir = dataDir.resolveSibling(dataDir.getFileName() + ".replaced-by-rollback-" + Ids.require(state.restoreId, "restoreId")
                    + "-" + ASIDE_TIME.format(Instant.now())).toString();
            states.save(state);
        }
        try {
            if (Files.exists(dataDir)) {
                Files.move(dataDir, Path.of(state.replacedDir), StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(Path.of(state.asideDir), dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new MemberRestoreException("cannot put " + state.asideDir + " back as " + dataDir + " (the data it replaces goes to "
                    + state.replacedDir + "): " + e.getMessage());
        }
        Log.infof("restore %s: the data dir the rollback replaced is kept at %s", state.restoreId, state.replacedDir);
    }

    /** Undo of a restore that failed before its data was served: the pre-restore data dir goes back, the restored one goes. */
    private void putAsideBack(RestoreState state) {
        if (state.asideDir == null || !Files.isDirectory(Path.of(state.asideDir))) {
            return;
        }
        etcd.stop();
        Path dataDir = etcd.dataDir();
        deleteTree(dataDir);
        try {
            Files.move(Path.of(state.asideDir), dataDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new MemberRestoreException("cannot move " + state.asideDir + " back to " + dataDir + ": " + e.getMessage());
        }
    }

    /** Runs a RollbackMember command: the data dir from before the restore goes back and etcd serves it. */
    public void rollback(RollbackMember command) {
        lock.lock();
        try {
            var known = states.find(command.restoreId());
            if (known.isEmpty()) {
                replies.send(new MemberRolledBack(command.restoreId(), command.clusterId(), command.memberName(), false,
                        "etcd-agent of member " + command.memberName() + " has no record of restore " + command.restoreId(), Instant.now()),
                        command.restoreId() + "/" + command.memberName() + "/unknown");
                return;
            }
            RestoreState state = known.get();
            if (state.step == RestoreState.Step.ROLLED_BACK) {
                answer(state);
                return;
            }
            var later = states.all().stream().filter(other -> other.receivedAt.isAfter(state.receivedAt) && stands(other)).findFirst();
            if (later.isPresent()) {
                replies.send(new MemberRolledBack(command.restoreId(), command.clusterId(), command.memberName(), false, "restore "
                        + later.get().restoreId + " replaced member " + command.memberName() + "'s data after restore " + command.restoreId()
                        + "; only the latest restore rolls back", Instant.now()), command.restoreId() + "/" + command.memberName() + "/later");
                return;
            }
            if (state.asideDir == null || state.asideRemoved || !Files.isDirectory(Path.of(state.asideDir))) {
                boolean untouched = state.asideDir == null;
                state.step = untouched ? RestoreState.Step.ROLLED_BACK : RestoreState.Step.ROLLING_BACK;
                state.rollbackFailure = untouched ? null : "the pre-restore data dir " + state.asideDir + " is gone ("
                        + (state.asideReleased == null ? "removed after the restore completed" : "released: " + state.asideReleased) + ")";
                state.note = untouched ? "nothing to roll back: the restore did not change this member" : state.note;
                state.answered = false;
                states.save(state);
                answer(state);
                return;
            }
            state.step = RestoreState.Step.ROLLING_BACK;
            state.answered = false;
            states.save(state);
            completeRollback(state);
        } finally {
            endOperation();
        }
    }

    private void completeRollback(RestoreState state) {
        try {
            swapBack(state);
            state.asideDir = null;
            etcd.startAndAwaitHealthy();
            state.rolledBackAt = state.replacedDir == null ? null : Instant.now();
            state.note = state.replacedDir == null ? "nothing to roll back: the restore did not change this member"
                    : "the pre-restore data dir is back; the data dir it replaced is kept at " + state.replacedDir;
            state.step = RestoreState.Step.ROLLED_BACK;
            state.rollbackFailure = null;
            Log.infof("restore %s rolled back: member %s serves its pre-restore data again", state.restoreId, state.memberName);
        } catch (RuntimeException e) {
            state.rollbackFailure = reason(e);
            Log.warnf("restore %s: rollback of member %s failed: %s", state.restoreId, state.memberName, state.rollbackFailure);
        }
        state.answered = false;
        states.save(state);
        answer(state);
        releaseCopies();
    }

    /** Keeps the copies of the member's data within their time and size; a failure here is only logged (the sweep tries again). */
    private void releaseCopies() {
        try {
            copies.release();
        } catch (RuntimeException e) {
            Log.warnf("cannot release old copies of member data: %s", e.getMessage());
        }
    }

    /** Whether a restore's data is what the member has now: it replaced the data dir and was not rolled back. */
    private static boolean stands(RestoreState state) {
        return switch (state.step) {
            case RESTORED, DONE, ROLLING_BACK -> true;
            case FAILED -> !Boolean.FALSE.equals(state.dataChanged);
            default -> false;
        };
    }

    /**
     * After a start: finishes or undoes whatever a crash interrupted, answers what was never answered,
     * then makes sure etcd runs. Called before the agent takes commands. A restore interrupted after its swap is finished
     * on a thread of its own that holds the member before any command can: a member of several waits there for its
     * peers' quorum, and must hear meanwhile (on the restore events, which start after this) when the saga fails.
     */
    public void recover() {
        List<String> interrupted = new java.util.ArrayList<>();
        lock.lock();
        try {
            for (RestoreState state : states.all()) {
                switch (state.step) {
                    case PREPARING, SWAPPING -> {
                        Log.warnf("restore %s was interrupted in step %s; undoing it", state.restoreId, state.step);
                        undo(state, "the etcd-agent stopped during step " + state.step + " of the restore");
                    }
                    case RESTORED -> {
                        Log.warnf("restore %s was interrupted after the data dir was replaced; starting etcd on it", state.restoreId);
                        interrupted.add(state.restoreId);
                    }
                    case ROLLING_BACK -> {
                        if (state.rollbackFailure == null) {
                            Log.warnf("rollback of restore %s was interrupted; finishing it", state.restoreId);
                            completeRollback(state);
                        } else if (!state.answered) {
                            answer(state);
                        }
                    }
                    default -> {
                        if (!state.answered) {
                            answer(state);
                        }
                    }
                }
            }
            etcd.start();
            if (!interrupted.isEmpty()) {
                Thread finishing = new Thread(() -> finishInterrupted(interrupted), "restore-recovery");
                finishing.setDaemon(true);
                finishing.start();
            }
        } finally {
            endOperation();
        }
    }

    /** Finishes restores interrupted after their swap (see {@link #recover()}), unless a command changed them meanwhile. */
    private void finishInterrupted(List<String> restoreIds) {
        lock.lock();
        try {
            for (String restoreId : restoreIds) {
                states.find(restoreId).filter(state -> state.step == RestoreState.Step.RESTORED).ifPresent(state -> {
                    running = restoreId;
                    try {
                        finish(state);
                    } finally {
                        running = null;
                    }
                });
            }
        } catch (RuntimeException e) {
            Log.errorf("cannot finish the restores %s interrupted after their swap: %s", restoreIds, reason(e));
        } finally {
            endOperation();
        }
    }

    /**
     * The saga reported the restore COMPLETED: the clock on its pre-restore data dir starts. Recorded now when no operation
     * holds the member, else when the operation holding it ends (at the latest by the sweep a minute later): the restore events must never wait for a restore that runs
     * (a restarted agent reads the completions it missed right before the FAILED of the restore it is running).
     */
    public void sagaCompleted(String restoreId, Instant at) {
        completions.putIfAbsent(restoreId, at);
        if (lock.tryLock()) {
            endOperation();
        }
    }

    /** Under the lock: records the completions heard meanwhile on their state files. */
    private void recordCompletions() {
        for (var completion : java.util.List.copyOf(completions.entrySet())) {
            try {
                states.find(completion.getKey()).filter(state -> state.sagaCompletedAt == null).ifPresent(state -> {
                    state.sagaCompletedAt = completion.getValue();
                    states.save(state);
                });
                completions.remove(completion.getKey());
            } catch (RuntimeException e) {
                Log.warnf("restore %s: cannot record that it completed: %s", completion.getKey(), reason(e));
            }
        }
    }

    /** Ends an operation on the member: records the completions heard meanwhile, then lets the next one run. */
    private void endOperation() {
        try {
            recordCompletions();
        } finally {
            lock.unlock();
        }
    }

    /** Removes the kept copies of the member's data whose time is up, and the oldest while they are above their size limit. */
    public void sweep() {
        if (!lock.tryLock()) {
            return;
        }
        try {
            copies.release();
        } finally {
            endOperation();
        }
    }

    /** Sends the answer the state file holds; marks it answered once Kafka has it. */
    private void answer(RestoreState state) {
        String seed = state.restoreId + "/" + state.memberName + "/" + state.step;
        Instant now = Instant.now();
        if (state.selfHealRefusal != null) {
            if (state.step != RestoreState.Step.DONE && state.step != RestoreState.Step.FAILED) {
                return;
            }
            boolean done = state.step == RestoreState.Step.DONE;
            replies.send(new MemberSelfHealed(state.restoreId, state.clusterId, state.memberName, state.snapshotId,
                    state.snapshotRevision == null ? 0 : state.snapshotRevision, state.selfHealRefusal, done, done ? state.revision : null,
                    done || Boolean.TRUE.equals(state.dataChanged) ? state.asideDir : null, done ? null : state.failure, now), seed);
            if (!state.answered) {
                state.answered = true;
                saveOrWarn(state);
            }
            return;
        }
        switch (state.step) {
            case DONE -> replies.send(new MemberRestored(state.restoreId, state.clusterId, state.memberName, state.revision, state.revisionBumped,
                    state.note, now), seed);
            case FAILED -> replies.send(new MemberRestoreFailed(state.restoreId, state.clusterId, state.memberName, state.failure,
                    !Boolean.FALSE.equals(state.dataChanged), now), seed);
            case ROLLED_BACK -> replies.send(new MemberRolledBack(state.restoreId, state.clusterId, state.memberName, true, state.note, now), seed);
            case ROLLING_BACK -> replies.send(new MemberRolledBack(state.restoreId, state.clusterId, state.memberName, false,
                    state.rollbackFailure == null ? "the rollback is still running" : state.rollbackFailure, now), seed);
            default -> {
                return;
            }
        }
        if (!state.answered) {
            state.answered = true;
            saveOrWarn(state);
        }
    }

    /**
     * Saves a state whose answer goes out anyway: a failure to write it (a full disk) is logged, not thrown, so the
     * saga still hears the answer; after a restart the agent answers again from the state file it has.
     */
    private void saveOrWarn(RestoreState state) {
        try {
            states.save(state);
        } catch (RuntimeException e) {
            Log.warnf("restore %s: %s", state.restoreId, reason(e));
        }
    }

    private Path staging(RestoreState state) {
        Path dataDir = etcd.dataDir();
        return Ids.under(dataDir.getParent(), dataDir.getFileName() + ".restoring-", state.restoreId, "");
    }

    /** Where a point-in-time restore replays its deltas: {@code <replay-dir>/replay-<restore id>}, or {@code <data-dir>.replay-<restore id>}. */
    private Path scratch(RestoreState state) {
        Path dataDir = etcd.dataDir();
        return config.replayDir().map(dir -> Ids.under(Path.of(dir), "replay-", state.restoreId, ""))
                .orElse(Ids.under(dataDir.getParent(), dataDir.getFileName() + ".replay-", state.restoreId, ""));
    }

    private Path snapshotFile(RestoreState state) {
        Path dataDir = etcd.dataDir();
        return Ids.under(dataDir.getParent(), dataDir.getFileName() + ".restore-", state.restoreId, ".db");
    }

    static String reason(Throwable e) {
        return Failures.reason(e, List.of(MemberRestoreException.class, EtcdProcessException.class));
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            Log.debugf("cannot delete %s: %s", file, e.getMessage());
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
