package dev.lifeboat.restore.drill;

/** A drill's state: RUNNING until an etcd-agent's verdict (PASSED or FAILED), or FAILED when no agent answered in time. */
public enum DrillState {
    RUNNING, PASSED, FAILED
}
