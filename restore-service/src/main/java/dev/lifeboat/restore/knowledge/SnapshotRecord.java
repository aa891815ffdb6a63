package dev.lifeboat.restore.knowledge;

import java.util.List;

import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.events.projection.SnapshotProjection;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;

/** A Completed snapshot, as snapshot-service announced it, with what a restore needs to read it. */
@Entity
@Table(name = "snapshot")
public class SnapshotRecord extends SnapshotProjection {

    @Column(name = "stored_sha256")
    public String storedSha256;

    @Column(name = "raw_sha256", nullable = false)
    public String rawSha256;

    @Column(nullable = false)
    public String compression;

    @Column(name = "encryption_key_id")
    public String encryptionKeyId;

    /** The plain etcd db's size; null for snapshots announced before it was kept here. */
    @Column(name = "raw_size")
    public Long rawSize;

    /** The keyspace fingerprint the source member gave at {@link #revision} (etcd HashKV, its compact revision, the key count); null when none was recorded. */
    @Column(name = "kv_hash")
    public Long kvHash;

    @Column(name = "kv_hash_compact_revision")
    public Long kvHashCompactRevision;

    @Column(name = "key_count")
    public Long keyCount;

    @Column(nullable = false)
    public boolean deleted;

    /** retention-service found its object gone or of another size (SnapshotMissing), until SnapshotFound. */
    @Column(nullable = false)
    public boolean missing;

    @Column(name = "missing_reason")
    public String missingReason;

    /** The recorded fingerprint, or null. */
    public SnapshotCompleted.KeyspaceFingerprint fingerprint() {
        return kvHash == null || keyCount == null ? null
                : new SnapshotCompleted.KeyspaceFingerprint(kvHash, kvHashCompactRevision == null ? 0 : kvHashCompactRevision, keyCount);
    }

    // The queries on this table, here and nowhere else.

    /** The cluster's snapshots not deleted and not missing: full snapshots and deltas, for plans and recovery windows. */
    public static Uni<List<SnapshotRecord>> kept(String clusterId) {
        return list("clusterId = ?1 and deleted = false and missing = false", clusterId);
    }

    /** The cluster's newest full snapshots not deleted (missing ones included), newest first, at most {@code limit}: {@code latest}'s candidates. */
    public static Uni<List<SnapshotRecord>> newestFulls(String clusterId, int limit) {
        return find("clusterId = ?1 and deleted = false and kind = ?2 order by completedAt desc", clusterId, SnapshotKind.FULL).page(0, limit).list();
    }

    /** The snapshot or delta of the cluster with the highest revision (deleted ones included), or null. */
    public static Uni<SnapshotRecord> highestRevision(String clusterId) {
        return find("clusterId = ?1 order by revision desc", clusterId).firstResult();
    }

    /** Retention found its object gone or damaged ({@code reason}), or ({@code null}) whole again. */
    public static Uni<Void> markMissing(String id, String reason, boolean missing) {
        return update("missing = ?1, missingReason = ?2 where id = ?3", missing, missing ? reason : null, id).replaceWithVoid();
    }

    /** Retention deleted it (runs in the consumer's transaction). */
    public static Uni<Void> markDeleted(String id) {
        return update("deleted = true where id = ?1", id).replaceWithVoid();
    }
}
