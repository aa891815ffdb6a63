package dev.lifeboat.events;

import java.time.Instant;

/**
 * Command to one etcd-agent: put back the data dir its member had before restore {@code restoreId}
 * and start etcd on it again.
 *
 * @param expiresAt when the saga stops waiting for the answer: an agent that receives the command later refuses it
 *                  (null from older senders: the agent's own {@code command-max-age} applies)
 */
public record RollbackMember(String restoreId, String clusterId, String memberName, Instant expiresAt) implements LifeboatEvent {

    public RollbackMember {
        Ids.require(restoreId, "restoreId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
    }

    /** Keyed by member, like {@link RestoreMember}, so a rollback never overtakes the restore it undoes. */
    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
