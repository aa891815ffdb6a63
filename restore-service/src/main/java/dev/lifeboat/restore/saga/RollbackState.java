package dev.lifeboat.restore.saga;

/** Where the rollback of a REPLACE restore stands: asked for, then ROLLED_BACK or FAILED. */
public enum RollbackState {
    REQUESTED,
    ROLLED_BACK,
    FAILED
}
