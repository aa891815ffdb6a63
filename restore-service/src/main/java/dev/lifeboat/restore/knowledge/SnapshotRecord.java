package dev.lifeboat.restore.knowledge;

import dev.lifeboat.events.projection.SnapshotProjection;
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
}
