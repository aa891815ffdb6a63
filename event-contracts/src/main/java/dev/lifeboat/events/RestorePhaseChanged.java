package dev.lifeboat.events;

import java.time.Instant;

/** The restore saga moved to another phase; {@code error} is set when it FAILED. */
public record RestorePhaseChanged(String restoreId, String clusterId, String snapshotId, RestoreMode mode,
        RestorePhase phase, RestorePhase previousPhase, String error, Instant at) implements LifeboatEvent {

    public RestorePhaseChanged {
        Ids.require(restoreId, "restoreId");
        Ids.require(clusterId, "clusterId");
        Require.present(phase, "phase");
        Require.present(at, "at");
    }
}
