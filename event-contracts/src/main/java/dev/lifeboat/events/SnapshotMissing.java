package dev.lifeboat.events;

import java.time.Instant;

/**
 * retention-service found a Completed snapshot whose object is gone from the bucket, or is not the size the catalog
 * records (truncated or replaced): it is no backup any more, until a {@link SnapshotFound}.
 *
 * @param reason what was found, for people (absent in events written before it was added)
 */
public record SnapshotMissing(String snapshotId, String clusterId, String bucket, String objectKey, Instant detectedAt, String reason)
        implements LifeboatEvent {

    public SnapshotMissing {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(detectedAt, "detectedAt");
    }
}
