package dev.lifeboat.events;

import java.time.Instant;

/** An etcd-agent restored its member and etcd is serving again. */
public record MemberRestored(String restoreId, String clusterId, String memberName, long revision,
        boolean revisionBumped, String note, Instant at) implements LifeboatEvent {

    public MemberRestored {
        Require.text(restoreId, "restoreId");
        Require.text(clusterId, "clusterId");
        Require.text(memberName, "memberName");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
