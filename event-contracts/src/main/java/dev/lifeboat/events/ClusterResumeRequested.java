package dev.lifeboat.events;

/** restore-service is done with the cluster and asks the scheduler to resume it. */
public record ClusterResumeRequested(String clusterId, String restoreId) implements LifeboatEvent {

    public ClusterResumeRequested {
        Ids.require(clusterId, "clusterId");
    }
}
