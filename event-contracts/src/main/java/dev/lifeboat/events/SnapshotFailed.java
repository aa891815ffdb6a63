package dev.lifeboat.events;

import java.time.Instant;

/** A snapshot could not be taken; nothing was made visible. The reason is meant for a person. */
public record SnapshotFailed(String snapshotId, String requestId, String clusterId, String reason, Instant failedAt)
        implements LifeboatEvent {

    public SnapshotFailed {
        Ids.require(clusterId, "clusterId");
        Require.text(reason, "reason");
        Require.present(failedAt, "failedAt");
    }
}
