package dev.lifeboat.restore.knowledge;

import java.time.Instant;

import dev.lifeboat.events.SnapshotKind;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** A Completed snapshot, as snapshot-service announced it; what a restore can use. */
@Entity
@Table(name = "snapshot")
public class SnapshotRecord extends PanacheEntityBase {

    @Id
    public String id;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public SnapshotKind kind;

    @Column(nullable = false)
    public long revision;

    @Column(nullable = false)
    public String bucket;

    @Column(name = "object_key", nullable = false)
    public String objectKey;

    @Column(name = "stored_size", nullable = false)
    public long storedSize;

    @Column(name = "stored_sha256")
    public String storedSha256;

    @Column(name = "raw_sha256", nullable = false)
    public String rawSha256;

    @Column(nullable = false)
    public String compression;

    @Column(name = "encryption_key_id")
    public String encryptionKeyId;

    @Column(name = "completed_at", nullable = false)
    public Instant completedAt;

    @Column(nullable = false)
    public boolean deleted;
}
