package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.Locale;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestoreRequested;
import dev.lifeboat.events.api.InvalidRequestException;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /api/v1/restores}.
 *
 * @param snapshot a snapshot id, or {@code latest} (the default): the newest Completed full snapshot
 * @param mode     {@code API} (the default): write keys through etcd's KV API
 */
public record RestoreRequest(@Size(max = 63) String restoreId, @Size(max = 63) String cluster, @Size(max = 63) String snapshot,
        @Size(max = 16) String mode, @Size(max = 4096) String keyPrefix, Boolean prune, @Size(max = 63) String targetCluster, Boolean allowCrossCluster,
        Boolean dryRun, Long toRevision, Instant toTime, Boolean drillFirst) {

    RestoreRequested toEvent(String requester) {
        if (cluster == null || cluster.isBlank()) {
            throw new InvalidRequestException("cluster", "cluster is required: the id of the cluster whose snapshot is restored");
        }
        RestoreMode parsed;
        try {
            parsed = mode == null ? RestoreMode.API : RestoreMode.valueOf(mode.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("mode", "mode must be API or REPLACE, not '" + mode + "'");
        }
        return new RestoreRequested(restoreId, cluster, snapshot, parsed, keyPrefix, Boolean.TRUE.equals(prune), targetCluster,
                Boolean.TRUE.equals(allowCrossCluster), Boolean.TRUE.equals(dryRun), toRevision, toTime, requester, drillFirst);
    }
}
