package dev.lifeboat.events;

/** The phases of the restore saga, in order; COMPLETED and FAILED end it. */
public enum RestorePhase {
    VALIDATING, PAUSING, FETCHING, RESTORING, VERIFYING, RESUMING, COMPLETED, FAILED;

    public boolean terminal() {
        return this == COMPLETED || this == FAILED;
    }
}
