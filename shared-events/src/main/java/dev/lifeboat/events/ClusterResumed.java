package dev.lifeboat.events;

/** The scheduler backs the cluster up again. */
public record ClusterResumed(String clusterId, String restoreId) implements LifeboatEvent {

    public ClusterResumed {
        Require.text(clusterId, "clusterId");
    }
}
