package dev.lifeboat.events;

/**
 * The scheduler backs the cluster up again.
 *
 * @param restoreId the restore that asked for the resume, or null when an operator resumed the cluster by hand
 * @param resumedBy who resumed it by hand (null when a restore asked)
 * @param reason    why, as the operator gave it (may be null)
 */
public record ClusterResumed(String clusterId, String restoreId, String resumedBy, String reason) implements LifeboatEvent {

    public ClusterResumed {
        Ids.require(clusterId, "clusterId");
    }
}
