package dev.lifeboat.agent.member;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.ClusterSpec;

/**
 * What the agent knows about one restore of its member, kept as {@code <state-dir>/restore-<id>.json}
 * and rewritten (atomically) before each step that changes the disk. After a crash the agent reads it
 * to finish or undo the step it was in (see {@link Step}); it is also how a redelivered command is
 * recognised and answered again without restoring twice.
 */
public class RestoreState {

    /**
     * The steps of a member restore, in order. The member's data dir is untouched until SWAPPING; a
     * crash before it leaves the member as it was; a crash during it is undone (or, when the swap was
     * complete, finished); from RESTORED on, the restored data dir is whole.
     */
    public enum Step {
        /**
         * Command accepted; fetching the snapshot (and for a point in time writing the snapshot at the target from it and its deltas) and
         * running etcd's restore into a staging dir while etcd keeps serving.
         */
        PREPARING,
        /** etcd stopped; the data dir moves aside to {@link RestoreState#asideDir} and the staging dir takes its place. */
        SWAPPING,
        /** The data dir is the restored one; etcd is starting on it. */
        RESTORED,
        /** etcd serves the restored data; answered with MemberRestored. */
        DONE,
        /** The restore failed; the reason was answered with MemberRestoreFailed. The aside dir, if any, is kept. */
        FAILED,
        /** Putting the pre-restore data dir back. */
        ROLLING_BACK,
        /** The pre-restore data dir is back and etcd serves it. */
        ROLLED_BACK
    }

    public String restoreId;
    public String clusterId;
    public String memberName;
    public String snapshotId;
    public List<ClusterSpec.Member> members;
    public String initialClusterToken;
    public long bumpRevision;
    /** Point in time: the deltas replayed onto the snapshot in PREPARING, up to {@link #toRevision}; null otherwise. */
    public List<String> deltaSnapshotIds;
    public Long toRevision;
    public Step step;
    /** Where the pre-restore data dir was moved; null until SWAPPING. */
    public String asideDir;
    public Instant receivedAt;
    /** When the saga stops waiting for this member's answer: a member of several waits for its peers' quorum until then. */
    public Instant expiresAt;
    public Instant updatedAt;
    public long revision;
    public boolean revisionBumped;
    public String note;
    public String failure;
    /**
     * For a FAILED restore: false when the member has its pre-restore data dir and etcd serves it, true when the
     * data dir was replaced or could not be put back; null in state files written before the agent said so.
     */
    public Boolean dataChanged;
    /** Why the last rollback failed; null when it succeeded or none was asked for. */
    public String rollbackFailure;
    /** Whether the answer to the last command (restore or rollback) reached Kafka. */
    public boolean answered;
    /** When the restore saga reported COMPLETED: the aside dir is removed {@code keep-pre-restore} after it. */
    public Instant sagaCompletedAt;
    public boolean asideRemoved;
    /** Why the pre-restore data dir was removed: its time was up, or the copies were above their size limit. */
    public String asideReleased;
    /** Where a rollback set aside the data dir it replaced (the restored data and the writes since); null before. */
    public String replacedDir;
    /** When the rollback put the pre-restore data dir back: the replaced data dir's time runs from here. */
    public Instant rolledBackAt;
    /** Why the replaced data dir was removed; null while it is kept. */
    public String replacedReleased;
    /**
     * For the agent's own restore (self-healing, no saga): why etcd was not started on the data dir; null for a restore
     * the saga commanded. Its answer is {@code MemberSelfHealed}, not {@code MemberRestored}.
     */
    public String selfHealRefusal;
    /** For self-healing: the revision of the snapshot restored. */
    public Long snapshotRevision;
}
