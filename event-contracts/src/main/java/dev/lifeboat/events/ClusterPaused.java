package dev.lifeboat.events;

/** The scheduler fires nothing for the cluster until it is resumed. */
public record ClusterPaused(String clusterId, String restoreId) implements LifeboatEvent {

    public ClusterPaused {
        Ids.require(clusterId, "clusterId");
    }
}
