package dev.lifeboat.events;

import java.time.Instant;

/**
 * The scheduler decided that a snapshot of the cluster is to be taken.
 *
 * @param requestId deterministic per (policy, slot) or per one-time request: the same id twice is one snapshot
 * @param kind      FULL or DELTA
 * @param policyId  the policy that fired, or null for a one-time backup
 */
public record SnapshotRequested(String requestId, String clusterId, SnapshotKind kind, String reason, String policyId,
        Instant requestedAt) implements LifeboatEvent {

    public SnapshotRequested {
        Require.text(requestId, "requestId");
        Ids.require(clusterId, "clusterId");
        Require.present(kind, "kind");
        Require.present(requestedAt, "requestedAt");
    }
}
