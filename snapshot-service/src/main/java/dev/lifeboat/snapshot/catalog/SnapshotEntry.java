package dev.lifeboat.snapshot.catalog;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
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
    /** etcd's cluster id (hex) of the member a FULL snapshot streamed from: the incarnation it is of (a REPLACE makes a new one). */
    @Column(name = "etcd_cluster_id")
    public String etcdClusterId;
    /** FULL: etcd's HashKV at {@link #revision} on the source member right after the snapshot; null when not taken. */
    @Column(name = "kv_hash")
    public Long kvHash;
    /** The compaction {@link #kvHash} was taken under. */
    @Column(name = "kv_hash_compact_revision")
    public Long kvHashCompactRevision;
    /** FULL: keys live at {@link #revision}. */
    @Column(name = "key_count")
    public Long keyCount;

    /** Records the source member's keyspace fingerprint at {@link #revision}; null leaves none. */
    public void keyspace(SnapshotCompleted.KeyspaceFingerprint fingerprint) {
        if (fingerprint != null) {
            kvHash = fingerprint.hash();
            kvHashCompactRevision = fingerprint.compactRevision();
            keyCount = fingerprint.keys();
        }
    }
    /** When a restore drill last proved this snapshot restorable (DrillEnded, passed); null: never. */
    @Column(name = "verified_at")
    public Instant verifiedAt;
    /** The newest drill's verdict: PASSED or FAILED (a drill no agent ran is not a verdict), its reason, drill and time. */
    @Column(name = "drill_verdict")
    public String drillVerdict;
    @Column(name = "drill_reason")
    public String drillReason;
    @Column(name = "drill_id")
    public String drillId;
    @Column(name = "drilled_at")
    public Instant drilledAt;
    public String bucket;
    /** The key the running attempt uploads to, recorded before its first byte: its final name (a staging key before manifests). */
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
    /** For a COALESCED entry: the snapshot that answers its request. */
    @Column(name = "coalesced_into")
    public String coalescedInto;
    /** The trace of the request (traceparent): the snapshot's spans and events continue it. */
    public String traceparent;

    // The queries on this table, here and nowhere else (the claim's candidates are native SQL in Catalog).

    /**
     * The catalog's newest entries first, at most {@code limit}: of {@code clusterId} if given, else of the
     * clusters in {@code limitedTo} if present (a token limited to some clusters), else of all; of one phase
     * and kind if given.
     */
    public static Uni<List<SnapshotEntry>> search(String clusterId, Optional<Set<String>> limitedTo, SnapshotPhase phase, SnapshotKind kind,
            int limit) {
        StringBuilder query = new StringBuilder("1 = 1");
        Parameters parameters = new Parameters();
        if (clusterId != null) {
            query.append(" and clusterId = :cluster");
            parameters.and("cluster", clusterId);
        } else if (limitedTo.isPresent()) {
            query.append(" and clusterId in :clusters");
            parameters.and("clusters", limitedTo.get());
        }
        if (phase != null) {
            query.append(" and phase = :phase");
            parameters.and("phase", phase);
        }
        if (kind != null) {
            query.append(" and kind = :kind");
            parameters.and("kind", kind);
        }
        return find(query.toString(), Sort.descending("requestedAt"), parameters).page(0, limit).list();
    }

    /** Whether a snapshot was already asked for with this request id. */
    public static Uni<Boolean> requested(String requestId) {
        return count("requestId", requestId).map(n -> n > 0);
    }

    /** Whether another snapshot of the cluster is RUNNING (one at a time per cluster). */
    public static Uni<Boolean> otherRunning(String clusterId, String id) {
        return count("clusterId = ?1 and phase = ?2 and id <> ?3", clusterId, SnapshotPhase.RUNNING, id).map(n -> n > 0);
    }

    /** The cluster's other PENDING snapshots of {@code kind}: a snapshot starting now answers them too. */
    public static Uni<List<SnapshotEntry>> otherPending(String clusterId, SnapshotKind kind, String id) {
        return list("clusterId = ?1 and kind = ?2 and phase = ?3 and id <> ?4", clusterId, kind, SnapshotPhase.PENDING, id);
    }

    /** Renews {@code owner}'s claim on a RUNNING snapshot; false when it lost it. */
    public static Uni<Boolean> extendClaim(String id, String owner, Instant until) {
        return update("claimedUntil = ?1 where id = ?2 and claimedBy = ?3 and phase = ?4", until, id, owner, SnapshotPhase.RUNNING).map(n -> n > 0);
    }

    /** Where the stream of {@code owner}'s snapshot goes, so that a crash can clean up the unfinished upload. */
    public static Uni<Void> recordUpload(String id, String owner, String bucket, String stagingKey, String uploadId) {
        return update("bucket = ?1, stagingKey = ?2, uploadId = ?3 where id = ?4 and claimedBy = ?5", bucket, stagingKey, uploadId, id, owner)
                .replaceWithVoid();
    }

    /** The etcd endpoint a running snapshot streams from. */
    public static Uni<Void> recordSource(String id, String endpoint, String etcdClusterId) {
        return update("endpoint = ?1, etcdClusterId = ?2 where id = ?3", endpoint, etcdClusterId, id).replaceWithVoid();
    }

    /** The newest Completed full snapshot of the cluster started at or after {@code after}: a chain's base, or null. */
    public static Uni<SnapshotEntry> newestFullSince(String clusterId, Instant after) {
        return find("clusterId = ?1 and kind = ?2 and phase = ?3 and startedAt >= ?4 order by completedAt desc", clusterId, SnapshotKind.FULL,
                SnapshotPhase.COMPLETED, after).firstResult();
    }

    /** Whether a full snapshot of the cluster asked for at or after {@code after} is still to come (PENDING or RUNNING). */
    public static Uni<Boolean> fullComing(String clusterId, Instant after) {
        return count("clusterId = ?1 and kind = ?2 and phase in ?3 and requestedAt >= ?4", clusterId, SnapshotKind.FULL,
                List.of(SnapshotPhase.PENDING, SnapshotPhase.RUNNING), after).map(n -> n > 0);
    }
}
