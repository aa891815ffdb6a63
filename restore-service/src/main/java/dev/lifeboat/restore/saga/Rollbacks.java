package dev.lifeboat.restore.saga;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.lifeboat.events.ClusterResumeRequested;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RollbackMember;
import dev.lifeboat.events.outbox.Outbox;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The rollback of a finished REPLACE restore: asked for over REST ({@link RestoreRules#rollbackStarts} decides
 * whether it may), then driven by the saga — one RollbackMember per commanded member, the answers, the end.
 */
@ApplicationScoped
public class Rollbacks {

    private final Restores restores;
    private final Outbox outbox;

    public Rollbacks(Restores restores, Outbox outbox) {
        this.restores = restores;
        this.outbox = outbox;
    }

    /**
     * {@code POST /api/v1/restores/{id}/rollback}: asks for the members' pre-restore data dirs back. Asking again
     * while one runs, or after it succeeded, changes nothing.
     */
    public Uni<RestoreRecord> requestRollback(String id) {
        return Panache.withTransaction(() -> RestoreRecord.<RestoreRecord>findById(id).chain(restore -> restore == null
                ? Uni.createFrom().item(() -> RestoreRules.rollbackStarts(id, null, null, List.of())).replaceWith(restore)
                : RestoreRecord.runningOn(restore.targetCluster).chain(running -> RestoreRecord.laterOn(restore.targetCluster, restore.createdAt)
                        .map(later -> rollbackRequested(id, restore, running, later)))));
    }

    private static RestoreRecord rollbackRequested(String id, RestoreRecord restore, RestoreRecord running, List<RestoreRecord> later) {
        if (!RestoreRules.rollbackStarts(id, restore, running, later)) {
            return restore;
        }
        restore.rollback.state = RollbackState.REQUESTED;
        restore.rollback.commanded = false;
        restore.rollback.error = null;
        restore.rollback.automatic = false;
        restore.pause.resumeRequested = false;
        restore.pause.resumed = false;
        restore.updatedAt = Instant.now();
        Log.infof("restore %s: rollback requested", id);
        return restore;
    }

    /**
     * One RollbackMember to every member that was commanded, once — except a member whose restore failed before its
     * data dir was touched: it serves its pre-restore data, and its rollback is NOT_NEEDED.
     */
    public Uni<Void> commandRollback(String id, String owner, Instant expiresAt) {
        return restores.changeRollback(id, owner, restore -> MemberRecord.unbatched().chain(() -> MemberRecord.ofRestore(id)).chain(rows -> {
            List<LifeboatEvent> commands = new ArrayList<>();
            for (MemberRecord row : rows) {
                if (row.unchanged()) {
                    row.rollbackNotNeeded(null);
                    continue;
                }
                row.rollbackState = MemberState.COMMANDED;
                row.rollbackReason = null;
                row.updatedAt = Instant.now();
                commands.add(new RollbackMember(id, restore.targetCluster, row.memberName, expiresAt));
            }
            restore.rollback.commanded = true;
            return outbox.emitAll(commands).replaceWithVoid();
        }));
    }

    /** The rollback ended: ROLLED_BACK, or FAILED with the reason; the claim is released. */
    public Uni<Void> endRollback(String id, String owner, String error, String note) {
        return restores.changeRollback(id, owner, restore -> {
            restore.rollback.state = error == null ? RollbackState.ROLLED_BACK : RollbackState.FAILED;
            restore.rollback.error = error;
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

    /** Resume during a rollback (the restore itself has ended, so {@link Restores#requestResume} does not apply). */
    public Uni<Void> requestResume(String id, String owner) {
        return restores.changeRollback(id, owner, restore -> {
            restore.pause.resumeRequested = true;
            return outbox.emit(new ClusterResumeRequested(restore.targetCluster, restore.id)).replaceWithVoid();
        });
    }
}
