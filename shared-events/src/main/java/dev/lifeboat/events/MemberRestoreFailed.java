package dev.lifeboat.events;

import java.time.Instant;

/** An etcd-agent could not restore its member; its old data dir is kept. */
public record MemberRestoreFailed(String restoreId, String clusterId, String memberName, String reason, Instant at)
        implements LifeboatEvent {

    public MemberRestoreFailed {
        Require.text(restoreId, "restoreId");
        Require.text(clusterId, "clusterId");
        Require.text(memberName, "memberName");
        Require.text(reason, "reason");
        Require.present(at, "at");
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
