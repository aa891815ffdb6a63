package dev.lifeboat.events;

/**
 * Command to one etcd-agent: put back the data dir its member had before restore {@code restoreId}
 * and start etcd on it again.
 */
public record RollbackMember(String restoreId, String clusterId, String memberName) implements LifeboatEvent {

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
