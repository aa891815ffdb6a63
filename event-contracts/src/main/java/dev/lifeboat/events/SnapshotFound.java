package dev.lifeboat.events;

import java.time.Instant;

/**
 * retention-service found the object of a snapshot it had announced MISSING back in the bucket, with the size the
 * catalog records: it is a backup again (restores may use it).
 */
public record SnapshotFound(String snapshotId, String clusterId, String bucket, String objectKey, Instant detectedAt) implements LifeboatEvent {

    public SnapshotFound {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(detectedAt, "detectedAt");
    }
}
