package dev.lifeboat.events.security;

import java.util.HashSet;
import java.util.Set;

/**
 * Lifeboat's roles, as tokens grant them (the {@code groups} claim, or the claim
 * {@code quarkus.oidc.roles.role-claim-path} names). A role includes the ones below it:
 * <pre>
 * admin    — clusters, their endpoints and secret references; and everything below
 * operator — backup now, policies, holds, resume a paused cluster, retention runs; and viewer
 * restorer — restores, rollbacks, snapshot content downloads; and viewer
 * viewer   — the catalog, the timeline, restores, retention previews, metrics
 * </pre>
 */
public final class Roles {

    public static final String VIEWER = "viewer";
    public static final String OPERATOR = "operator";
    public static final String RESTORER = "restorer";
    public static final String ADMIN = "admin";

    private Roles() {
    }

    /** The granted roles with every role they include. */
    public static Set<String> withIncluded(Set<String> granted) {
        Set<String> roles = new HashSet<>(granted);
        if (roles.contains(ADMIN)) {
            roles.add(OPERATOR);
            roles.add(RESTORER);
        }
        if (roles.contains(OPERATOR) || roles.contains(RESTORER)) {
            roles.add(VIEWER);
        }
        return roles;
    }
}
