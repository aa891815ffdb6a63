package dev.lifeboat.events;

import java.time.Instant;

/** retention-service deleted a snapshot's object; snapshot-service marks its catalog entry Deleted. */
public record SnapshotDeleted(String snapshotId, String clusterId, String objectKey, String reason, Instant deletedAt)
        implements LifeboatEvent {

    public SnapshotDeleted {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(deletedAt, "deletedAt");
    }
}
