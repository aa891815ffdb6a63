package dev.lifeboat.events;

import java.time.Instant;

/**
 * A restore drill found the snapshot not restorable as recorded, or could not run.
 *
 * @param stage  where it stopped: {@code fetch}, {@code restore}, {@code start}, {@code verify} (the snapshot is bad or
 *               differs from the backup), {@code refused} (the command came after it expired: not run), or
 *               {@code no-room} (the agent's disk cannot take the drill and keep its reserve free: not run, ask another
 *               member); only {@code verify}, {@code restore} and a {@code fetch} the catalog refused say the backup is bad
 * @param reason what a person needs to know, naming the snapshot and the difference found
 * @param times  what was measured before it stopped
 */
public record DrillFailed(String drillId, String clusterId, String memberName, String snapshotId, String stage, String reason,
        DrillTimes times, Instant at) implements LifeboatEvent {

    public DrillFailed {
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Ids.require(snapshotId, "snapshotId");
        Require.text(stage, "stage");
        Require.text(reason, "reason");
        Require.present(times, "times");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
