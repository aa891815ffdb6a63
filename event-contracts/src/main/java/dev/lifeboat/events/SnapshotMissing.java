package dev.lifeboat.events;

import java.time.Instant;

/** retention-service found a Completed snapshot whose object is gone from the bucket: it is no backup any more. */
public record SnapshotMissing(String snapshotId, String clusterId, String bucket, String objectKey, Instant detectedAt)
        implements LifeboatEvent {

    public SnapshotMissing {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(detectedAt, "detectedAt");
    }
}
