package dev.lifeboat.restore.saga;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RestoreMember;
import dev.lifeboat.events.outbox.Outbox;
import dev.lifeboat.restore.knowledge.ClusterRecord;
import dev.lifeboat.restore.knowledge.SnapshotRecord;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * REPLACE: the RestoreMember commands to the members' etcd-agents, one row per member, and the agents'
 * answers (MemberRestored, MemberRestoreFailed, MemberRolledBack) recorded on those rows.
 */
@ApplicationScoped
public class MemberCommands {

    private final Restores restores;
    private final Outbox outbox;

    public MemberCommands(Restores restores, Outbox outbox) {
        this.restores = restores;
        this.outbox = outbox;
    }

    /**
     * RESTORING: one RestoreMember command to every member's etcd-agent, with a new cluster token, in one
     * transaction with a row per member. Sent once; a saga that continues after a crash only waits for the answers.
     */
    public Uni<Void> commandMembers(String id, String owner, long bumpFloor, Instant expiresAt) {
        return restores.change(id, owner, restore -> ClusterRecord.<ClusterRecord>findById(restore.targetCluster)
                .chain(cluster -> revisionBump(restore, bumpFloor).chain(bumpRevision -> {
                    List<ClusterSpec.Member> members = cluster.spec().members();
                    String token = "lifeboat-restore-" + restore.id;
                    List<LifeboatEvent> commands = new ArrayList<>();
                    List<MemberRecord> rows = new ArrayList<>();
                    for (ClusterSpec.Member member : members) {
                        commands.add(new RestoreMember(restore.id, restore.targetCluster, member.name(), restore.snapshotId, members, token,
                                bumpRevision, restore.deltas().isEmpty() ? null
                                        : new RestoreMember.PointInTime(restore.deltas(), restore.getPointInTime().targetRevision), expiresAt));
                        MemberRecord row = new MemberRecord();
                        row.restoreId = restore.id;
                        row.memberName = member.name();
                        row.state = MemberState.COMMANDED;
                        row.updatedAt = Instant.now();
                        rows.add(row);
                    }
                    restore.membersCommanded = true;
                    Log.infof("restore %s: RestoreMember sent to the etcd-agents of %s, revision bump %d", restore.id,
                            members.stream().map(ClusterSpec.Member::name).toList(), bumpRevision);
                    return MemberRecord.persist(rows).chain(() -> outbox.emitAll(commands)).replaceWithVoid();
                })));
    }

    /**
     * The bump for a REPLACE: the configured floor, or twice the revisions the target cluster wrote after
     * the restored one as far as its snapshots and deltas tell, whichever is larger ({@link RevisionBump}).
     */
    private static Uni<Long> revisionBump(RestoreRecord restore, long floor) {
        Long target = restore.getPointInTime().targetRevision;
        Uni<Long> restored = target != null ? Uni.createFrom().item(target)
                : SnapshotRecord.<SnapshotRecord>findById(restore.snapshotId).map(snapshot -> snapshot == null ? 0L : snapshot.revision);
        return restored.chain(revision -> SnapshotRecord.highestRevision(restore.targetCluster)
                .map(newest -> RevisionBump.size(floor, revision, newest == null ? null : newest.revision)));
    }

    /** The members of a REPLACE restore with the agents' answers so far. */
    public Uni<List<MemberRecord>> members(String id) {
        return Panache.withSession(() -> MemberRecord.ofRestore(id));
    }

    /** An etcd-agent answered a RestoreMember command (runs in the consumer's transaction). */
    public Uni<Void> memberAnswered(String restoreId, String memberName, boolean restored, Long revision, Boolean bumped, String note,
            String reason, boolean dataChanged) {
        return MemberRecord.<MemberRecord>findById(new MemberRecord.Key(restoreId, memberName)).chain(row -> {
            if (row == null) {
                Log.warnf("an etcd-agent answered for member %s of restore %s, which did not command it; ignored", memberName, restoreId);
                return Uni.createFrom().voidItem();
            }
            row.state = restored ? MemberState.RESTORED : MemberState.FAILED;
            row.revision = revision;
            row.revisionBumped = bumped;
            row.note = note;
            row.reason = reason;
            row.dataChanged = dataChanged;
            row.updatedAt = Instant.now();
            if (row.unchanged() && row.rollbackState == MemberState.FAILED) {
                row.rollbackNotNeeded(row.rollbackReason);
            }
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
            if (!succeeded && row.unchanged()) {
                row.rollbackNotNeeded(reason);
                return Uni.createFrom().voidItem();
            }
            row.rollbackState = succeeded ? MemberState.ROLLED_BACK : MemberState.FAILED;
            row.rollbackReason = reason;
            row.updatedAt = Instant.now();
            return Uni.createFrom().voidItem();
        });
    }
}
