package dev.lifeboat.snapshot.catalog;

/**
 * Where a catalog entry is: PENDING → RUNNING → COMPLETED | FAILED; COMPLETED → DELETED by retention; PENDING →
 * COALESCED when another snapshot of the cluster that started after the request answers it.
 */
public enum SnapshotPhase {
    PENDING, RUNNING, COMPLETED, FAILED, DELETED, COALESCED
}
