package dev.lifeboat.restore.saga;

/**
 * One member's answer to a command of a REPLACE restore: COMMANDED until its etcd-agent answers, then
 * RESTORED (or, for a rollback, ROLLED_BACK) or FAILED. A rollback is NOT_NEEDED for a member whose restore
 * failed before its data dir was touched: it serves its pre-restore data, so no rollback is sent to it.
 */
public enum MemberState {
    COMMANDED,
    RESTORED,
    ROLLED_BACK,
    NOT_NEEDED,
    FAILED
}
