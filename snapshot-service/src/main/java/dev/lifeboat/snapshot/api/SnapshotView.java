package dev.lifeboat.snapshot.api;

import java.time.Instant;

import dev.lifeboat.snapshot.catalog.SnapshotEntry;

/**
 * A catalog entry as the REST API shows it. For a DELTA: {@code firstRevision}..{@code revision}, its chain,
 * the chain's base full snapshot, its changes and when the first and last arrived. For a COALESCED request: the
 * snapshot that answers it. For a FULL: the keyspace fingerprint ({@code kvHash} under {@code kvHashCompactRevision},
 * {@code keyCount}) its source member gave at its revision; {@code verifiedAt}, when a restore drill last proved it
 * restorable, and {@code drill}, the newest drill's verdict (PASSED, or FAILED with the reason).
 */
public record SnapshotView(String id, String requestId, String clusterId, String kind, String phase, String reason,
        Instant requestedAt, Instant startedAt, Instant completedAt, Long revision, String bucket, String objectKey,
        Long rawSize, Long storedSize, String rawSha256, String storedSha256, String compression, String encryptionKeyId,
        String etcdVersion, String etcdClusterId, Long kvHash, Long kvHashCompactRevision, Long keyCount,
        Instant verifiedAt, Drill drill, String endpoint, int attempts, Long firstRevision, String chainId, String baseSnapshotId, Long events,
        Instant firstEventAt, Instant lastEventAt, String coalescedInto) {

    static SnapshotView of(SnapshotEntry e) {
        return new SnapshotView(e.id, e.requestId, e.clusterId, e.kind.name(), e.phase.name(), e.reason, e.requestedAt,
                e.startedAt, e.completedAt, e.revision, e.bucket, e.objectKey, e.rawSize, e.storedSize, e.rawSha256,
                e.storedSha256, e.compression, e.encryptionKeyId, e.etcdVersion, e.etcdClusterId, e.kvHash, e.kvHashCompactRevision, e.keyCount,
                e.verifiedAt, e.drillVerdict == null ? null : new Drill(e.drillId, e.drillVerdict, e.drillReason, e.drilledAt), e.endpoint, e.attempts, e.firstRevision, e.chainId,
                e.baseSnapshotId, e.eventCount, e.firstEventAt, e.lastEventAt, e.coalescedInto);
    }

    /** The newest restore drill of the snapshot: its id, verdict (PASSED or FAILED), reason and time. */
    public record Drill(String id, String verdict, String reason, Instant at) {
    }
}
