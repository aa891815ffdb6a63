package dev.lifeboat.restore.saga;

import java.time.Duration;
import java.time.Instant;

import dev.lifeboat.events.BackupRequested;
import dev.lifeboat.events.ClusterPauseRequested;
import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.events.RestorePhaseChanged;
import dev.lifeboat.events.outbox.Outbox;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The saga's state in PostgreSQL: claims (one instance drives a restore; another continues it when that
 * instance dies), the phase machine and what RESTORING records, each change with its events in the same
 * transaction (the outbox). Every change is made by the instance holding the claim, or fails with
 * {@link ClaimLostException}.
 */
@ApplicationScoped
public class Restores {

    private static final String CANDIDATES = """
            select id from restore
            where (phase not in ('COMPLETED', 'FAILED') or rollback_state = 'REQUESTED')
              and (claimed_until is null or claimed_until < now())
            order by created_at limit 10 for update skip locked""";

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

    /** A change of a claimed restore, made in its transaction. */
    interface Change {
        Uni<Void> apply(RestoreRecord restore);
    }

    /** Claims the oldest restore that needs driving: new, abandoned by an instance that died, or with a rollback asked for. */
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
        return Panache.withTransaction(() -> RestoreRecord.extendClaim(id, owner, Instant.now().plus(claimDuration)));
    }

    public Uni<RestoreRecord> load(String id) {
        return Panache.withSession(() -> RestoreRecord.<RestoreRecord>findById(id));
    }

    /** Moves the saga on: ends the current phase, starts the next, announces it; a completed restore asks for a fresh backup. */
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

    /**
     * A REPLACE failed after some member's data dir was replaced: FAILED with the cause, and a rollback of every
     * member asked for in the same transaction, so the claim loop drives it next (here or, after a crash, on
     * another instance) and the cluster ends all restored or all on its pre-restore data, never in between.
     */
    public Uni<Void> failAndRollBack(String id, String owner, String error) {
        return change(id, owner, restore -> {
            restore.rollback.state = RollbackState.REQUESTED;
            restore.rollback.commanded = false;
            restore.rollback.error = null;
            restore.rollback.automatic = true;
            Log.warnf("restore %s: rolling every member of cluster %s back to its pre-restore data", id, restore.targetCluster);
            return Uni.createFrom().voidItem();
        }, RestorePhase.FAILED, error);
    }

    public Uni<Void> requestPause(String id, String owner) {
        return change(id, owner, restore -> {
            restore.pause.requested = true;
            return outbox.emit(new ClusterPauseRequested(restore.targetCluster, restore.id, "restore " + restore.id)).replaceWithVoid();
        });
    }

    public Uni<Void> requestResume(String id, String owner) {
        return change(id, owner, restore -> {
            restore.pause.resumeRequested = true;
            return outbox.emit(new ClusterResumeRequested(restore.targetCluster, restore.id)).replaceWithVoid();
        });
    }

    /** The scheduler confirmed the pause (or the resume) a restore asked for (runs in the consumer's transaction). */
    public Uni<Void> acknowledge(String restoreId, boolean paused) {
        return RestoreRecord.acknowledged(restoreId, paused);
    }

    /** Keys of the snapshot processed so far, while RESTORING runs. */
    public Uni<Void> progress(String id, String owner, long total, long processed) {
        return change(id, owner, restore -> {
            restore.getProgress().total = total;
            restore.getProgress().processed = processed;
            return Uni.createFrom().voidItem();
        });
    }

    /** What RESTORING did (or, dry, would do). */
    public Uni<Void> outcome(String id, String owner, long total, long put, long deleted, long unchanged) {
        return change(id, owner, restore -> {
            RestoreRecord.Progress progress = restore.getProgress();
            progress.total = total;
            progress.processed = total;
            progress.put = put;
            progress.deleted = deleted;
            progress.unchanged = unchanged;
            return Uni.createFrom().voidItem();
        });
    }

    /** Point in time: the revision a target time resolved to, once FETCHING read the deltas. */
    public Uni<Void> targetRevision(String id, String owner, long revision) {
        return change(id, owner, restore -> {
            restore.getPointInTime().targetRevision = revision;
            return Uni.createFrom().voidItem();
        });
    }

    /** Adds to the restore's note (what it said before stays; the same words twice are kept once, as a continued saga repeats steps). */
    public Uni<Void> note(String id, String owner, String note) {
        return change(id, owner, restore -> {
            restore.note = restore.note == null || restore.note.isEmpty() ? note : restore.note.contains(note) ? restore.note : restore.note + "; " + note;
            return Uni.createFrom().voidItem();
        });
    }

    /** A change of a running restore that stays in its phase. */
    Uni<Void> change(String id, String owner, Change change) {
        return change(id, owner, change, null, null);
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
            restore.phases = restore.phases.ended(previous, restore.updatedAt);
            if (!next.terminal()) {
                restore.phases = restore.phases.started(next, restore.updatedAt);
            }
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

    /** A change of a finished restore whose rollback this instance drives. */
    Uni<Void> changeRollback(String id, String owner, Change change) {
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id).chain(restore -> {
            if (restore == null || !owner.equals(restore.claimedBy) || restore.rollback.state != RollbackState.REQUESTED) {
                return Uni.createFrom().failure(new ClaimLostException(id));
            }
            restore.updatedAt = Instant.now();
            return change.apply(restore);
        }));
    }

    /** RestorePhaseChanged for the restore as it is now. */
    Uni<Void> emit(RestoreRecord restore, RestorePhase previous) {
        return outbox.emit(new RestorePhaseChanged(restore.id, restore.targetCluster, restore.snapshotId, restore.mode, restore.phase,
                previous, restore.error, restore.updatedAt)).replaceWithVoid();
    }
}
