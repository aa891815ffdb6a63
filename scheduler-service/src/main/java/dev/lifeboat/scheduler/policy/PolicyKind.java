package dev.lifeboat.scheduler.policy;

import dev.lifeboat.events.SnapshotKind;

/**
 * What a policy does: FULL fires a full snapshot at each slot, DELTA turns on continuous capture in snapshot-service, DRILL
 * fires a restore drill of the newest full snapshot at each slot (restore-service runs it). FULL and DELTA are backup
 * policies, announced as {@code BackupPolicySet} to the services that back up and prune; a DRILL policy is the scheduler's
 * own and is announced by the {@code DrillRequested} of each slot.
 */
public enum PolicyKind {
    FULL, DELTA, DRILL;

    /** The snapshot kind of a backup policy; null for DRILL. */
    public SnapshotKind snapshotKind() {
        return isBackupPolicy() ? SnapshotKind.valueOf(name()) : null;
    }

    /** A backup policy (FULL, DELTA): announced to the services that back up and prune. */
    public boolean isBackupPolicy() {
        return this != DRILL;
    }

    /** Fired at each due slot (FULL, DRILL), not running continuously (DELTA). */
    public boolean firesSlots() {
        return this != DELTA;
    }
}
