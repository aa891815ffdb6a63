package dev.lifeboat.events;

/** A registered cluster's connection facts changed; {@code spec} is the whole new state. */
public record ClusterUpdated(String clusterId, ClusterSpec spec) implements LifeboatEvent {

    public ClusterUpdated {
        Ids.require(clusterId, "clusterId");
        Require.present(spec, "spec");
    }
}
