package dev.lifeboat.events;

import java.time.Instant;

/**
 * Delta capture of a cluster lost changes: etcd compacted revisions before the capture read them (it
 * was down, or too slow). The chain ends at {@code lastRevision}; a full snapshot is requested at once
 * and a new chain starts from it. Point-in-time restores cannot reach a revision inside the gap.
 *
 * @param lastRevision     the last revision the ended chain holds
 * @param compactRevision  etcd's compaction revision that made the next changes unreadable, or null
 * @param reason           for people
 */
public record DeltaGapDetected(String clusterId, String chainId, long lastRevision, Long compactRevision, String reason,
        Instant detectedAt) implements LifeboatEvent {

    public DeltaGapDetected {
        Ids.require(clusterId, "clusterId");
        Ids.require(chainId, "chainId");
        Require.text(reason, "reason");
        Require.present(detectedAt, "detectedAt");
    }
}
