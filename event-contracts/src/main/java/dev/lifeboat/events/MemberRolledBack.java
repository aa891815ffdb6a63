package dev.lifeboat.events;

import java.time.Instant;

/**
 * An etcd-agent's answer to {@link RollbackMember}: the pre-restore data dir is back and etcd serves it
 * ({@code succeeded}), or why not ({@code reason}).
 */
public record MemberRolledBack(String restoreId, String clusterId, String memberName, boolean succeeded, String reason, Instant at)
        implements LifeboatEvent {

    public MemberRolledBack {
        Ids.require(restoreId, "restoreId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
