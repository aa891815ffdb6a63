package dev.lifeboat.events;

import java.time.Instant;

/**
 * A queued snapshot request was answered by another snapshot of the same cluster that started after it was
 * made: requests that piled up while the cluster was paused (or snapshot-service was down) become one backup,
 * not one per missed slot. The request's outcome is that snapshot's outcome.
 *
 * @param snapshotId     the catalog entry of the coalesced request; it ends here, with no object of its own
 * @param intoSnapshotId the snapshot that answers it
 */
public record SnapshotCoalesced(String snapshotId, String requestId, String clusterId, String intoSnapshotId, Instant at)
        implements LifeboatEvent {

    public SnapshotCoalesced {
        Ids.require(snapshotId, "snapshotId");
        Require.text(requestId, "requestId");
        Ids.require(clusterId, "clusterId");
        Ids.require(intoSnapshotId, "intoSnapshotId");
        Require.present(at, "at");
    }
}
