package dev.lifeboat.scheduler.api;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.scheduler.cluster.ClusterRecord;

/** A cluster as the API shows it: credential references are never echoed, only whether they are set. */
public record ClusterView(String id, String displayName, List<String> endpoints, boolean tls, boolean auth,
        ClusterSpec.Destination destination, List<String> members, boolean preferFollower, boolean allowInsecure, boolean paused,
        String pausedBy, Instant createdAt, Instant updatedAt) {

    static ClusterView of(ClusterRecord record, ClusterSpec spec) {
        return new ClusterView(record.id, spec.displayName(), spec.endpoints(), spec.tls() != null, spec.auth() != null,
                spec.destination(), spec.members().stream().map(ClusterSpec.Member::name).toList(), spec.preferFollower(),
                spec.allowInsecure(), record.paused, record.pausedBy, record.createdAt, record.updatedAt);
    }
}
