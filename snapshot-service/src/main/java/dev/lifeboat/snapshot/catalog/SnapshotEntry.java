package dev.lifeboat.snapshot.catalog;

import java.time.Instant;

import dev.lifeboat.events.SnapshotKind;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One snapshot in the catalog; see {@code V2026_11_22_1__snapshot_catalog.sql}. */
@Entity
@Table(name = "snapshot")
public class SnapshotEntry extends PanacheEntityBase {

    @Id
    public String id;
    @Column(name = "request_id", nullable = false, unique = true)
    public String requestId;
    @Column(name = "cluster_id", nullable = false)
    public String clusterId;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public SnapshotKind kind;
    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public SnapshotPhase phase;
    public String reason;
    @Column(name = "requested_at", nullable = false)
    public Instant requestedAt;
    @Column(name = "started_at")
    public Instant startedAt;
    @Column(name = "completed_at")
    public Instant completedAt;
    @Column(nullable = false)
    public int attempts;
    @Column(name = "claimed_by")
    public String claimedBy;
    @Column(name = "claimed_until")
    public Instant claimedUntil;
    public String endpoint;
    @Column(name = "etcd_version")
    public String etcdVersion;
    public String bucket;
    @Column(name = "staging_key")
    public String stagingKey;
    @Column(name = "upload_id")
    public String uploadId;
    @Column(name = "object_key")
    public String objectKey;
    public String compression;
    @Column(name = "encryption_key_id")
    public String encryptionKeyId;
    @Column(name = "raw_size")
    public Long rawSize;
    @Column(name = "stored_size")
    public Long storedSize;
    @Column(name = "raw_sha256")
    public String rawSha256;
    @Column(name = "stored_sha256")
    public String storedSha256;
    public Long revision;
    /** For a DELTA: its first revision ({@link #revision} is its last), chain, the chain's base, and its changes. */
    @Column(name = "first_revision")
    public Long firstRevision;
    @Column(name = "chain_id")
    public String chainId;
    @Column(name = "base_snapshot_id")
    public String baseSnapshotId;
    @Column(name = "event_count")
    public Long eventCount;
    @Column(name = "first_event_at")
    public Instant firstEventAt;
    @Column(name = "last_event_at")
    public Instant lastEventAt;
    /** The trace of the request (traceparent): the snapshot's spans and events continue it. */
    public String traceparent;
}
