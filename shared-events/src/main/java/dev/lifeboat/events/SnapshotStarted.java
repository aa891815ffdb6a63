package dev.lifeboat.events;

import java.time.Instant;

/** snapshot-service began streaming a snapshot from one etcd member. */
public record SnapshotStarted(String snapshotId, String requestId, String clusterId, SnapshotKind kind, String endpoint,
        Instant startedAt) implements LifeboatEvent {

    public SnapshotStarted {
        Require.text(snapshotId, "snapshotId");
        Require.text(clusterId, "clusterId");
        Require.present(startedAt, "startedAt");
    }
}
