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
 * @param chainId        the delta capture chain: for a DELTA, the chain it belongs to; for a FULL, the chain that was
 *                       capturing the cluster when it completed (its deltas may extend it), or null
 * @param delta          for a DELTA, what else it holds; for a FULL, null
 * @param keyspace       for a FULL, the keyspace's fingerprint at {@code revision} as the source member computed it right
 *                       after the snapshot (what a restore drill compares against); null when it could not be taken
 */
public record SnapshotCompleted(String snapshotId, String requestId, String clusterId, SnapshotKind kind, long revision,
        Long firstRevision, String bucket, String objectKey, long rawSize, long storedSize, String rawSha256,
        String storedSha256, String compression, String encryptionKeyId, String etcdVersion, Instant startedAt,
        Instant completedAt, String chainId, DeltaFacts delta, KeyspaceFingerprint keyspace) implements LifeboatEvent {

    /** Without a keyspace fingerprint (deltas, and events written before it was recorded). */
    public SnapshotCompleted(String snapshotId, String requestId, String clusterId, SnapshotKind kind, long revision,
            Long firstRevision, String bucket, String objectKey, long rawSize, long storedSize, String rawSha256,
            String storedSha256, String compression, String encryptionKeyId, String etcdVersion, Instant startedAt,
            Instant completedAt, String chainId, DeltaFacts delta) {
        this(snapshotId, requestId, clusterId, kind, revision, firstRevision, bucket, objectKey, rawSize, storedSize, rawSha256, storedSha256,
                compression, encryptionKeyId, etcdVersion, startedAt, completedAt, chainId, delta, null);
    }

    /** The same facts with the keyspace fingerprint set. */
    public SnapshotCompleted withKeyspace(KeyspaceFingerprint fingerprint) {
        return new SnapshotCompleted(snapshotId, requestId, clusterId, kind, revision, firstRevision, bucket, objectKey, rawSize, storedSize,
                rawSha256, storedSha256, compression, encryptionKeyId, etcdVersion, startedAt, completedAt, chainId, delta, fingerprint);
    }

    public SnapshotCompleted {
        Ids.require(snapshotId, "snapshotId");
        Ids.require(clusterId, "clusterId");
        Require.present(kind, "kind");
        Require.text(bucket, "bucket");
        Require.text(objectKey, "objectKey");
        Require.text(rawSha256, "rawSha256");
        Require.present(completedAt, "completedAt");
        if (kind == SnapshotKind.DELTA) {
            Require.present(firstRevision, "firstRevision");
            Ids.require(chainId, "chainId");
            Require.present(delta, "delta");
        }
    }

    /**
     * What a delta adds to the facts of a snapshot. For a delta, {@code rawSha256} is the SHA-256 of the
     * plain delta file and {@code revision} its last revision.
     *
     * @param baseSnapshotId the full snapshot its chain started from; deltas of one chain follow each other without a hole
     * @param events         changes it holds
     * @param firstEventAt   when the capture received its first change
     * @param lastEventAt    when the capture received its last change
     */
    public record DeltaFacts(String baseSnapshotId, long events, Instant firstEventAt, Instant lastEventAt) {

        public DeltaFacts {
            Require.text(baseSnapshotId, "delta.baseSnapshotId");
            Require.present(firstEventAt, "delta.firstEventAt");
            Require.present(lastEventAt, "delta.lastEventAt");
        }
    }

    /**
     * etcd's own fingerprint of a keyspace at one revision, the one its corruption check compares between members:
     * {@code HashKV} (a CRC-32C over every key revision from {@code compactRevision} up to the revision) and the number
     * of keys live at the revision. Two members, or a member and a restore of its snapshot, that hold the same data and
     * the same compaction give the same hash.
     *
     * @param hash            HashKV's hash (unsigned 32 bit)
     * @param compactRevision the compaction the hash was taken under
     * @param keys            keys live at the revision
     */
    public record KeyspaceFingerprint(long hash, long compactRevision, long keys) {

        public KeyspaceFingerprint {
            if (hash < 0 || hash > 0xffffffffL) {
                throw new IllegalArgumentException("keyspace.hash must be an unsigned 32-bit value, was " + hash);
            }
            if (compactRevision < 0 || keys < 0) {
                throw new IllegalArgumentException("keyspace.compactRevision and keyspace.keys must not be negative");
            }
        }
    }
}
