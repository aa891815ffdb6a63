package dev.lifeboat.events;

import java.time.Instant;
import java.util.List;

/**
 * A restore drill for an etcd-agent of the cluster: fetch the stored snapshot exactly as a restore would, restore it with
 * the member's own etcd into a scratch etcd (127.0.0.1, ports of its own, a temporary data dir, never the member's), start
 * it, and compare what it serves with what the source member said at backup time. The member itself is not touched.
 *
 * @param memberName the agent that runs it (any member of the cluster: it only lends its etcd binaries and disk)
 * @param revision   the revision at which the keyspace is compared: the snapshot's, or for a point-in-time drill the last
 *                   revision of the last delta
 * @param rawSha256  the SHA-256 of the plain etcd db recorded at backup time; the fetched file must hash to it
 * @param rawSize    its size in bytes; -1 when the requester does not know it (then only the SHA-256 is checked)
 * @param expected   the fingerprint the source member gave at {@code revision}; null when none was recorded (the drill
 *                   then proves the snapshot restores and serves, and counts its keys, without comparing a hash)
 * @param expiresAt  after this the agent does not start it (the requester stopped waiting); null for the agent's max age
 * @param deltaIds   for a point-in-time drill, the deltas replayed onto the snapshot up to {@code revision}, in chain order
 *                   (as a point-in-time REPLACE replays them); empty or null for a drill of the snapshot alone
 */
public record RunDrill(String drillId, String clusterId, String memberName, String snapshotId, long revision, String rawSha256,
        long rawSize, SnapshotCompleted.KeyspaceFingerprint expected, Instant expiresAt, List<String> deltaIds) implements LifeboatEvent {

    /** A drill of the snapshot alone. */
    public RunDrill(String drillId, String clusterId, String memberName, String snapshotId, long revision, String rawSha256, long rawSize,
            SnapshotCompleted.KeyspaceFingerprint expected, Instant expiresAt) {
        this(drillId, clusterId, memberName, snapshotId, revision, rawSha256, rawSize, expected, expiresAt, null);
    }

    public RunDrill {
        deltaIds = deltaIds == null ? List.of() : List.copyOf(deltaIds);
        deltaIds.forEach(id -> Ids.require(id, "deltaIds"));
        Ids.require(drillId, "drillId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Ids.require(snapshotId, "snapshotId");
        Require.text(rawSha256, "rawSha256");
        if (revision <= 0) {
            throw new IllegalArgumentException("revision must be positive, was " + revision);
        }
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
