package dev.lifeboat.events;

/** A full etcd snapshot, or the changes since the previous snapshot. */
public enum SnapshotKind {
    FULL, DELTA
}
