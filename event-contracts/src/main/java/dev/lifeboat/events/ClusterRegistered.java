package dev.lifeboat.events;

/** A cluster was registered with the scheduler. */
public record ClusterRegistered(String clusterId, ClusterSpec spec) implements LifeboatEvent {

    public ClusterRegistered {
        Ids.require(clusterId, "clusterId");
        Require.present(spec, "spec");
    }
}
