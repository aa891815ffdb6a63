package dev.lifeboat.events;

import java.time.Instant;

/**
 * restore-service's verdict on a restore drill it asked for: the snapshot was proven restorable ({@code passed}), or the
 * drill failed at {@code stage} — {@code fetch}, {@code restore}, {@code start}, {@code verify} (the snapshot is bad or
 * differs from the backup) or {@code timeout} (no etcd-agent gave a verdict; says nothing of the snapshot). The catalog
 * records it on the snapshot; retention keeps the newest full snapshot that passed.
 *
 * @param recoveryMillis fetch + restore + start of a drill that passed (the measured recovery time), or null
 */
public record DrillEnded(String drillId, String clusterId, String snapshotId, boolean passed, String stage, String reason, Long recoveryMillis,
        Instant at) implements LifeboatEvent {

    public DrillEnded {
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        Ids.require(snapshotId, "snapshotId");
        Require.present(at, "at");
        if (!passed) {
            Require.text(stage, "stage");
            Require.text(reason, "reason");
        }
    }

    /** A verdict on the snapshot itself: it passed, or failed somewhere other than waiting for an agent. */
    public boolean judgesSnapshot() {
        return passed || !"timeout".equals(stage);
    }

    @Override
    public String partitionKey() {
        return clusterId;
    }
}
