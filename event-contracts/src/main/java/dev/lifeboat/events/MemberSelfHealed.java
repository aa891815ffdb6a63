package dev.lifeboat.events;

import java.time.Instant;

/**
 * An etcd-agent with self-healing on ({@code lifeboat.agent.self-heal}) found its member's data dir lost — empty or corrupt
 * while the member had served data, or empty on a fresh volume while the catalog holds backups of the cluster — and
 * restored the member from the cluster's newest completed full snapshot by itself, without a restore request.
 *
 * @param healId         the agent's own id for the restore (its state file, {@code self-heal-<UTC time>})
 * @param refusal        why etcd was not started on the data dir
 * @param succeeded      whether etcd serves the snapshot's data now
 * @param revision       the revision etcd serves after the restore; null when it failed
 * @param keptAt         where the refused data dir was set aside (never deleted by the agent); null when nothing was moved
 * @param reason         why the restore failed; null when it succeeded
 */
public record MemberSelfHealed(String healId, String clusterId, String memberName, String snapshotId, long snapshotRevision,
        String refusal, boolean succeeded, Long revision, String keptAt, String reason, Instant at) implements LifeboatEvent {

    public MemberSelfHealed {
        Ids.require(healId, "healId");
        Ids.require(clusterId, "clusterId");
        Ids.require(memberName, "memberName");
        Ids.require(snapshotId, "snapshotId");
        Require.text(refusal, "refusal");
        Require.present(at, "at");
        if (!succeeded) {
            Require.text(reason, "reason");
        }
    }

    @Override
    public String partitionKey() {
        return clusterId + "/" + memberName;
    }
}
