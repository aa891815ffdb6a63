package dev.lifeboat.events;

/** restore-service asks the scheduler to stop backing up the cluster while it restores. */
public record ClusterPauseRequested(String clusterId, String restoreId, String reason) implements LifeboatEvent {

    public ClusterPauseRequested {
        Ids.require(clusterId, "clusterId");
        Ids.require(restoreId, "restoreId");
    }
}
