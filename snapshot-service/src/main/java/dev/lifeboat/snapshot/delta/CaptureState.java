package dev.lifeboat.snapshot.delta;

/** Where one cluster's delta capture stands, as its status shows it. */
public enum CaptureState {
    /** Reading the chain and opening the watch. */
    STARTING,
    /** The watch delivers changes. */
    WATCHING,
    /** etcd or S3 failed; the watch is opened again after a back-off. */
    RETRYING,
    /** The watch lost changes; the gap is recorded and this chain ends there. */
    GAP,
    /** The chain was closed (policy deleted, cluster paused or deleted). */
    ENDED,
    /** The capture was stopped (the service stops). */
    STOPPED
}
