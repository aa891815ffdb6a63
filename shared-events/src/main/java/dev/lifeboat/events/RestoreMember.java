package dev.lifeboat.events;

import java.util.List;

/**
 * Command to one etcd-agent: replace its member's data dir with the snapshot.
 *
 * @param members             the whole member list of the restored cluster
 * @param initialClusterToken a new token, so restored members never join the old cluster
 * @param bumpRevision        revision bump where the installed etcd supports it; 0 for none
 */
public record RestoreMember(String restoreId, String clusterId, String memberName, String snapshotId,
        List<ClusterSpec.Member> members, String initialClusterToken, long bumpRevision) implements LifeboatEvent {

    public RestoreMember {
        Require.text(restoreId, "restoreId");
        Require.text(clusterId, "clusterId");
        Require.text(memberName, "memberName");
        Require.text(snapshotId, "snapshotId");
        members = Require.list(members);
        Require.text(initialClusterToken, "initialClusterToken");
    }

    /** Keyed by member, so each agent's commands stay in order. */
    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
