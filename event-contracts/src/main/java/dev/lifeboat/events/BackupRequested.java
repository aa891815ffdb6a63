package dev.lifeboat.events;

/**
 * Any service asks for a one-time backup of a cluster ("before I upgrade it"). The scheduler validates
 * it and turns it into a {@link SnapshotRequested}.
 *
 * @param requestId optional; the same id twice is one backup
 */
public record BackupRequested(String clusterId, String reason, String requester, String requestId) implements LifeboatEvent {

    public BackupRequested {
        Ids.require(clusterId, "clusterId");
        Require.text(requester, "requester");
        Require.atMost(requester, 200, "requester");
        Require.atMost(reason, 1000, "reason");
        Require.atMost(requestId, 200, "requestId");
    }
}
