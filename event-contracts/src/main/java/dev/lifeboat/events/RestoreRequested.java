package dev.lifeboat.events;

import java.time.Instant;

/**
 * A runbook or service asks for a restore; the same as {@code POST /api/v1/restores}.
 *
 * @param restoreId    optional; the same id twice is one restore
 * @param snapshot     a snapshot id or {@code latest}; null when a target revision or time is given
 * @param targetCluster restore into this cluster instead (needs {@code allowCrossCluster})
 * @param drillFirst   REPLACE: prove the snapshot restorable with a restore drill first, unless one already passed; a
 *                     failed drill fails the restore before anything is paused or touched. Null: restore-service's default
 */
public record RestoreRequested(String restoreId, String clusterId, String snapshot, RestoreMode mode, String keyPrefix,
        boolean prune, String targetCluster, boolean allowCrossCluster, boolean dryRun, Long toRevision, Instant toTime,
        String requester, Boolean drillFirst) implements LifeboatEvent {

    /** A request without {@code drillFirst} (restore-service's default applies). */
    public RestoreRequested(String restoreId, String clusterId, String snapshot, RestoreMode mode, String keyPrefix, boolean prune,
            String targetCluster, boolean allowCrossCluster, boolean dryRun, Long toRevision, Instant toTime, String requester) {
        this(restoreId, clusterId, snapshot, mode, keyPrefix, prune, targetCluster, allowCrossCluster, dryRun, toRevision, toTime, requester, null);
    }

    /** The {@code snapshot} that names the newest Completed full snapshot of the cluster. */
    public static final String LATEST = "latest";

    public RestoreRequested {
        Ids.require(clusterId, "clusterId");
        Require.present(mode, "mode");
        Ids.optional(restoreId, "restoreId");
        Require.atMost(keyPrefix, 4096, "keyPrefix");
        Require.atMost(requester, 200, "requester");
        Ids.optional(targetCluster, "targetCluster");
        if (snapshot != null && !snapshot.isBlank() && !LATEST.equals(snapshot)) {
            Ids.require(snapshot, "snapshot");
        }
    }
}
