package dev.lifeboat.restore.knowledge;

import java.util.List;

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

    @Column(nullable = false)
    public boolean deleted;

    // The queries on this table, here and nowhere else.

    /** The cluster's snapshots not deleted: full snapshots and deltas, for plans and recovery windows. */
    public static Uni<List<SnapshotRecord>> kept(String clusterId) {
        return list("clusterId = ?1 and deleted = false", clusterId);
    }

    /** The newest full snapshot not deleted: what {@code latest} names, or null. */
    public static Uni<SnapshotRecord> latestFull(String clusterId) {
        return find("clusterId = ?1 and deleted = false and kind = ?2 order by completedAt desc", clusterId, SnapshotKind.FULL).firstResult();
    }

    /** The snapshot or delta of the cluster with the highest revision (deleted ones included), or null. */
    public static Uni<SnapshotRecord> highestRevision(String clusterId) {
        return find("clusterId = ?1 order by revision desc", clusterId).firstResult();
    }

    /** Retention deleted it (runs in the consumer's transaction). */
    public static Uni<Void> markDeleted(String id) {
        return update("deleted = true where id = ?1", id).replaceWithVoid();
    }
}
