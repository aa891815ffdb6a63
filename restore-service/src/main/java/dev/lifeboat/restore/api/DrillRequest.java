package dev.lifeboat.restore.api;

import dev.lifeboat.events.api.InvalidRequestException;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /api/v1/drills}.
 *
 * @param cluster  the cluster whose snapshot is drilled (required)
 * @param snapshot a full snapshot id, or {@code latest} (the default): the newest Completed full snapshot whose object is intact;
 *                 or {@code undrilled}: the oldest intact full snapshot of the last {@code undrilled-window} (24 h) that no
 *                 drill judged yet (404 when there is none)
 * @param drillId  your id for it; the same id twice is one drill (default: a new id)
 * @param toRevision a point-in-time drill: the cluster's deltas replayed onto their full snapshot and compared at the newest
 *                 delta end at or before this revision whose keyspace hash capture recorded (no {@code snapshot} then)
 */
public record DrillRequest(@Size(max = 63) String cluster, @Size(max = 63) String snapshot, @Size(max = 63) String drillId, Long toRevision) {

    String requireCluster() {
        if (cluster == null || cluster.isBlank()) {
            throw new InvalidRequestException("cluster", "cluster is required: the id of the cluster whose snapshot is drilled");
        }
        return cluster;
    }
}
