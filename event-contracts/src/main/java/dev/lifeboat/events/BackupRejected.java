package dev.lifeboat.events;

import java.time.Instant;

/**
 * The scheduler refused a {@link BackupRequested}: the cluster is unknown or paused. Nothing else happens.
 *
 * @param requestId the request's id, or the id of the event that carried it when it had none
 * @param reason    {@code unknown-cluster} or {@code paused}, then a sentence for people after ': '
 */
public record BackupRejected(String requestId, String clusterId, String requester, String reason, Instant at) implements LifeboatEvent {

    public BackupRejected {
        Require.text(requestId, "requestId");
        Ids.require(clusterId, "clusterId");
        Require.text(reason, "reason");
        Require.present(at, "at");
    }
}
