package dev.lifeboat.events;

import java.time.Instant;

/** snapshot-service began streaming a snapshot from one etcd member. */
public record SnapshotStarted(String snapshotId, String requestId, String clusterId, SnapshotKind kind, String endpoint,
        Instant startedAt) implements LifeboatEvent {

    public SnapshotStarted {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(startedAt, "startedAt");
    }
}
