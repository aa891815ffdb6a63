package dev.lifeboat.events;

/** A backup policy of a cluster was removed. */
public record BackupPolicyDeleted(String clusterId, String policyId) implements LifeboatEvent {

    public BackupPolicyDeleted {
        Ids.require(clusterId, "clusterId");
        Require.text(policyId, "policyId");
    }
}
