package dev.lifeboat.events;

import java.time.Instant;
import java.util.List;

/**
 * restore-service's verdict on a restore drill it asked for: the snapshot was proven restorable ({@code passed}), or the
 * drill failed at {@code stage} — {@code fetch}, {@code restore}, {@code start}, {@code verify} (the snapshot is bad or
 * differs from the backup) or {@code timeout} (no etcd-agent gave a verdict; says nothing of the snapshot). The catalog
 * records it on the snapshot; retention keeps the newest full snapshot that passed.
 *
 * @param recoveryMillis fetch + restore + start of a drill that passed (the measured recovery time), or null
 * @param deltaIds       for a point-in-time drill, the deltas replayed onto the snapshot (stage {@code replay}: fetching or
 *                       replaying them failed); empty or null for a drill of the snapshot alone
 */
public record DrillEnded(String drillId, String clusterId, String snapshotId, boolean passed, String stage, String reason, Long recoveryMillis,
        Instant at, List<String> deltaIds) implements LifeboatEvent {

    /** A drill of the snapshot alone. */
    public DrillEnded(String drillId, String clusterId, String snapshotId, boolean passed, String stage, String reason, Long recoveryMillis,
            Instant at) {
        this(drillId, clusterId, snapshotId, passed, stage, reason, recoveryMillis, at, null);
    }

    public DrillEnded {
        deltaIds = deltaIds == null ? List.of() : List.copyOf(deltaIds);
        deltaIds.forEach(id -> Ids.require(id, "deltaIds"));
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        Ids.require(snapshotId, "snapshotId");
        Require.present(at, "at");
        if (!passed) {
            Require.text(stage, "stage");
            Require.text(reason, "reason");
        }
    }

    /**
     * A verdict on the snapshot itself: it passed, or failed somewhere other than waiting for an agent. A point-in-time drill
     * that failed judges its snapshot only when fetching the snapshot failed: a later failure may be a delta's.
     */
    public boolean judgesSnapshot() {
        return passed || !"timeout".equals(stage) && (deltaIds.isEmpty() || "fetch".equals(stage));
    }

    @Override
    public String partitionKey() {
        return clusterId;
    }
}
