package dev.lifeboat.events;

import java.time.Instant;

/**
 * A snapshot was stored, verified and made visible.
 *
 * @param revision       the exact revision, read from the snapshot itself
 * @param firstRevision  for a DELTA, the first revision it holds; for a FULL, null
 * @param rawSha256      SHA-256 of the plain etcd db bytes
 * @param storedSha256   SHA-256 of the object as stored (after compression and encryption)
 * @param compression    none, zstd or gzip
 * @param encryptionKeyId the key that encrypted it, or null when stored in the clear
 */
public record SnapshotCompleted(String snapshotId, String requestId, String clusterId, SnapshotKind kind, long revision,
        Long firstRevision, String bucket, String objectKey, long rawSize, long storedSize, String rawSha256,
        String storedSha256, String compression, String encryptionKeyId, String etcdVersion, Instant startedAt,
        Instant completedAt) implements LifeboatEvent {

    public SnapshotCompleted {
        Require.text(snapshotId, "snapshotId");
        Require.text(clusterId, "clusterId");
        Require.present(kind, "kind");
        Require.text(bucket, "bucket");
        Require.text(objectKey, "objectKey");
        Require.text(rawSha256, "rawSha256");
        Require.present(completedAt, "completedAt");
    }
}
