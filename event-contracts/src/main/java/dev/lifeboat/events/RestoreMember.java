package dev.lifeboat.events;

import java.time.Instant;
import java.util.List;

/**
 * Command to one etcd-agent: replace its member's data dir with the snapshot.
 *
 * @param members             the whole member list of the restored cluster
 * @param initialClusterToken a new token, so restored members never join the old cluster
 * @param bumpRevision        revision bump where the installed etcd supports it; 0 for none
 * @param pointInTime         for a point-in-time restore, the deltas to replay onto the snapshot; null otherwise
 * @param expiresAt           when the saga stops waiting for the answer (its member timeout after it sent the command): an agent
 *                            that receives the command later refuses it; null from older senders (the agent's own
 *                            {@code command-max-age} applies)
 */
public record RestoreMember(String restoreId, String clusterId, String memberName, String snapshotId,
        List<ClusterSpec.Member> members, String initialClusterToken, long bumpRevision, PointInTime pointInTime, Instant expiresAt)
        implements LifeboatEvent {

    public RestoreMember {
        Ids.require(restoreId, "restoreId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Ids.require(snapshotId, "snapshotId");
        members = Require.list(members);
        members.forEach(member -> Ids.require(member.name(), "members[].name"));
        Require.text(initialClusterToken, "initialClusterToken");
    }

    /**
     * The deltas to replay, in order, onto the full snapshot before the member starts on it: every change
     * up to and including {@code toRevision}, one etcd transaction per revision.
     */
    public record PointInTime(List<String> deltaSnapshotIds, long toRevision) {

        public PointInTime {
            deltaSnapshotIds = Require.list(deltaSnapshotIds);
            deltaSnapshotIds.forEach(id -> Ids.require(id, "pointInTime.deltaSnapshotIds[]"));
            if (deltaSnapshotIds.isEmpty()) {
                throw new IllegalArgumentException("missing field pointInTime.deltaSnapshotIds");
            }
        }
    }

    /** Keyed by member, so each agent's commands stay in order. */
    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
