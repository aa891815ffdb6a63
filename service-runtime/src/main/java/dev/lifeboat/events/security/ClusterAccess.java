package dev.lifeboat.events.security;

import java.util.Optional;
import java.util.Set;

import io.quarkus.security.ForbiddenException;
import io.quarkus.security.identity.SecurityIdentity;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The current caller, for the checks a role cannot express: whether its token may touch a cluster (tokens can be
 * limited to some clusters), and who it is, for the event log.
 */
@ApplicationScoped
public class ClusterAccess {

    private final SecurityIdentity identity;
    private final CheckedClusters checked;

    public ClusterAccess(SecurityIdentity identity, CheckedClusters checked) {
        this.identity = identity;
        this.checked = checked;
    }

    /** Refuses (403) a caller whose token is limited to other clusters; the request is about this cluster (audit trail). */
    public void require(String clusterId) {
        checked.add(clusterId);
        limitedTo().filter(allowed -> !allowed.contains(clusterId)).ifPresent(allowed -> {
            throw new ForbiddenException("your token is limited to cluster" + (allowed.size() == 1 ? " " : "s ") + String.join(", ", allowed)
                    + "; it may not touch cluster '" + clusterId + "'");
        });
    }

    public boolean allows(String clusterId) {
        return limitedTo().map(allowed -> allowed.contains(clusterId)).orElse(true);
    }

    /** The clusters the caller is limited to; empty when it may touch every cluster. */
    public Optional<Set<String>> limitedTo() {
        Set<String> clusters = identity.getAttribute(CallerIdentity.CLUSTERS);
        return Optional.ofNullable(clusters);
    }

    /** Who is calling: the token's subject (or the name the identity provider gives). */
    public String caller() {
        return identity.isAnonymous() ? "anonymous" : identity.getPrincipal().getName();
    }
}
