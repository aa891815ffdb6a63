package dev.lifeboat.events;

/** A backup policy of a cluster was removed. */
public record BackupPolicyDeleted(String clusterId, String policyId) implements LifeboatEvent {

    public BackupPolicyDeleted {
        Require.text(clusterId, "clusterId");
        Require.text(policyId, "policyId");
    }
}
