package dev.lifeboat.events;

/**
 * A backup policy of a cluster was created or changed; {@code retention} is what retention-service applies.
 *
 * @param schedule 5-field cron, {@code @hourly}/{@code @daily}/{@code @weekly}/{@code @monthly}, or {@code @every <duration>}
 * @param timeZone IANA zone the cron fields are read in
 * @param jitter   Go-like duration inside which each cluster's slots are spread, or null
 * @param deltaMaxBytes for kind DELTA: a delta is written once this many bytes of changes accumulated, or when
 *                 the period ({@code schedule}, {@code @every <duration>}) elapsed, whichever comes first; null for FULL
 */
public record BackupPolicySet(String clusterId, String policyId, String schedule, String timeZone, SnapshotKind kind, String jitter,
        RetentionSpec retention, Long deltaMaxBytes) implements LifeboatEvent {

    public BackupPolicySet {
        Ids.require(clusterId, "clusterId");
        Require.text(policyId, "policyId");
        Require.text(schedule, "schedule");
        Require.present(kind, "kind");
    }
}
