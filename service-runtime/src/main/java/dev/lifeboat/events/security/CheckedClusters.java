package dev.lifeboat.events.security;

import java.util.LinkedHashSet;
import java.util.Set;

import jakarta.enterprise.context.RequestScoped;

/** The clusters the current request was checked for ({@link ClusterAccess#require}): what the audit trail files it under. */
@RequestScoped
public class CheckedClusters {

    private final Set<String> clusters = new LinkedHashSet<>();

    void add(String clusterId) {
        clusters.add(clusterId);
    }

    public Set<String> clusters() {
        return Set.copyOf(clusters);
    }
}
