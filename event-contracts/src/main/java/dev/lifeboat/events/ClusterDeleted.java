package dev.lifeboat.events;

/** A cluster was deleted; its snapshots stay unless {@code purgeSnapshots} is true. */
public record ClusterDeleted(String clusterId, boolean purgeSnapshots) implements LifeboatEvent {

    public ClusterDeleted {
        Ids.require(clusterId, "clusterId");
    }
}
