package dev.lifeboat.restore.saga;

/**
 * One member's answer to a command of a REPLACE restore: COMMANDED until its etcd-agent answers, then
 * RESTORED (or, for a rollback, ROLLED_BACK) or FAILED.
 */
public enum MemberState {
    COMMANDED,
    RESTORED,
    ROLLED_BACK,
    FAILED
}
