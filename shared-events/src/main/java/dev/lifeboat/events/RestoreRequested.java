package dev.lifeboat.events;

import java.time.Instant;

/**
 * A runbook or service asks for a restore; the same as {@code POST /api/v1/restores}.
 *
 * @param restoreId    optional; the same id twice is one restore
 * @param snapshot     a snapshot id or {@code latest}; null when a target revision or time is given
 * @param targetCluster restore into this cluster instead (needs {@code allowCrossCluster})
 */
public record RestoreRequested(String restoreId, String clusterId, String snapshot, RestoreMode mode, String keyPrefix,
        boolean prune, String targetCluster, boolean allowCrossCluster, boolean dryRun, Long toRevision, Instant toTime,
        String requester) implements LifeboatEvent {

    public RestoreRequested {
        Require.text(clusterId, "clusterId");
        Require.present(mode, "mode");
    }
}
