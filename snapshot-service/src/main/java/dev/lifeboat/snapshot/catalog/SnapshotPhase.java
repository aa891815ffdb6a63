package dev.lifeboat.snapshot.catalog;

/** Where a catalog entry is: PENDING → RUNNING → COMPLETED | FAILED; COMPLETED → DELETED by retention. */
public enum SnapshotPhase {
    PENDING, RUNNING, COMPLETED, FAILED, DELETED
}
