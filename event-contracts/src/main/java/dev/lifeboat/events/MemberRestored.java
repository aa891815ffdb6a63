package dev.lifeboat.events;

import java.time.Instant;

/** An etcd-agent restored its member and etcd is serving again. */
public record MemberRestored(String restoreId, String clusterId, String memberName, long revision,
        boolean revisionBumped, String note, Instant at) implements LifeboatEvent {

    public MemberRestored {
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
