package dev.lifeboat.events;

import java.time.Instant;

/**
 * A restore drill proved the snapshot restorable: its stored object became a working etcd that serves the keyspace the
 * source member had at the snapshot's revision.
 *
 * @param observed     the scratch etcd's fingerprint at the revision
 * @param hashCompared whether a recorded fingerprint was compared (false: the snapshot had none; only restored and served)
 * @param sampledKeys  keys read back through the etcd API and checked against the snapshot file
 */
public record DrillCompleted(String drillId, String clusterId, String memberName, String snapshotId, long revision,
        SnapshotCompleted.KeyspaceFingerprint observed, boolean hashCompared, long sampledKeys, String etcdVersion, DrillTimes times,
        Instant at) implements LifeboatEvent {

    public DrillCompleted {
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Ids.require(snapshotId, "snapshotId");
        Require.present(observed, "observed");
        Require.present(times, "times");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
