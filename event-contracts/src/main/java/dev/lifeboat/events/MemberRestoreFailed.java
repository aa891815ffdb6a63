package dev.lifeboat.events;

import java.time.Instant;

/**
 * An etcd-agent could not restore its member.
 *
 * @param dataChanged false when the member's data dir is the one it had before the restore and etcd serves it
 *                    again (the failure came before the swap, or the swap was undone); true when the data dir
 *                    was replaced (its previous one is kept for a rollback) or is in a state the agent cannot
 *                    vouch for; null from an agent that does not say — to be treated as changed
 */
public record MemberRestoreFailed(String restoreId, String clusterId, String memberName, String reason, Boolean dataChanged, Instant at)
        implements LifeboatEvent {

    public MemberRestoreFailed {
        Ids.require(restoreId, "restoreId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Require.text(reason, "reason");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
