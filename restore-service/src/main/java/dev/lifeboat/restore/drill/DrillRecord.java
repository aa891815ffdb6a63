package dev.lifeboat.restore.drill;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.events.DrillTimes;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import dev.lifeboat.restore.saga.DeltaIds;
import io.quarkus.hibernate.reactive.panache.PanacheEntityBase;
import io.smallrye.mutiny.Uni;
import jakarta.persistence.Column;
import jakarta.persistence.Convert;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** One restore drill: what was asked, which etcd-agent runs it, and its verdict with what was measured. */
@Entity
@Table(name = "drill")
public class DrillRecord extends PanacheEntityBase {

    @Id
    public String id;

    @Column(name = "cluster_id", nullable = false)
    public String clusterId;

    @Column(name = "snapshot_id", nullable = false)
    public String snapshotId;

    /** Where the keyspace is compared: the snapshot's revision, or for a point-in-time drill the last delta's last revision. */
    @Column(nullable = false)
    public long revision;

    /** For a point-in-time drill, the revision asked for ({@link #revision} is the nearest checkable point at or before it); else null. */
    @Column(name = "to_revision")
    public Long toRevision;

    /** For a point-in-time drill, the deltas replayed onto the snapshot up to {@link #revision}, in chain order; else empty. */
    @Convert(converter = DeltaIds.class)
    @Column(name = "delta_ids")
    public List<String> deltaIds;

    /** The member whose etcd-agent was sent the drill last. */
    @Column(name = "member_name", nullable = false)
    public String memberName;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false)
    public DrillState state;

    /** For FAILED: where it stopped (fetch, restore, start, verify; timeout when no agent answered). */
    public String stage;

    public String reason;

    /** What a person should know of a verdict that is not the whole story (no hash was recorded, a retry). */
    public String note;

    public String requester;

    /** RunDrill commands sent so far (the first and the retries). */
    @Column(nullable = false)
    public int attempts;

    @Column(name = "expected_hash")
    public Long expectedHash;

    @Column(name = "expected_keys")
    public Long expectedKeys;

    /** The compaction {@link #expectedHash} was taken under; null for drills recorded before it was kept. */
    @Column(name = "expected_compact_revision")
    public Long expectedCompactRevision;

    @Column(name = "observed_hash")
    public Long observedHash;

    @Column(name = "observed_keys")
    public Long observedKeys;

    @Column(name = "hash_compared")
    public Boolean hashCompared;

    @Column(name = "sampled_keys")
    public Integer sampledKeys;

    @Column(name = "etcd_version")
    public String etcdVersion;

    @Column(name = "fetch_ms")
    public Long fetchMillis;

    @Column(name = "restore_ms")
    public Long restoreMillis;

    @Column(name = "start_ms")
    public Long startMillis;

    @Column(name = "verify_ms")
    public Long verifyMillis;

    @Column(name = "db_bytes")
    public Long dbBytes;

    /** While RUNNING: when the attempt is given up (retried, or FAILED after the last). */
    @Column(name = "expires_at", nullable = false)
    public Instant expiresAt;

    @Column(name = "created_at", nullable = false)
    public Instant createdAt;

    @Column(name = "updated_at", nullable = false)
    public Instant updatedAt;

    @Column(name = "finished_at")
    public Instant finishedAt;

    /** The deltas of a point-in-time drill; empty for a drill of the snapshot alone. */
    public List<String> deltas() {
        return deltaIds == null ? List.of() : deltaIds;
    }

    /** Records the fingerprint the drill compares against; null: none was recorded. */
    void expect(KeyspaceFingerprint expected) {
        expectedHash = expected == null ? null : expected.hash();
        expectedKeys = expected == null ? null : expected.keys();
        expectedCompactRevision = expected == null ? null : expected.compactRevision();
    }

    /** The fingerprint the drill compares against, as {@link #expect} recorded it; null when none. */
    KeyspaceFingerprint expected() {
        return expectedHash == null || expectedKeys == null || expectedCompactRevision == null ? null
                : new KeyspaceFingerprint(expectedHash, expectedCompactRevision, expectedKeys);
    }

    /** Records what the agent measured (all or part of it). */
    void measured(DrillTimes times) {
        if (times == null) {
            return;
        }
        fetchMillis = times.fetchMillis();
        restoreMillis = times.restoreMillis();
        startMillis = times.startMillis();
        verifyMillis = times.verifyMillis();
        dbBytes = times.dbBytes();
    }

    /** Fetch, restore and start: how long bringing this snapshot back as a serving etcd took — the cluster's measured recovery time. */
    public Long recoveryMillis() {
        return fetchMillis == null || restoreMillis == null || startMillis == null ? null : fetchMillis + restoreMillis + startMillis;
    }

    // The queries on this table, here and nowhere else.

    /** The cluster's running drill, or null. */
    public static Uni<DrillRecord> runningOf(String clusterId) {
        return find("clusterId = ?1 and state = ?2", clusterId, DrillState.RUNNING).firstResult();
    }

    /** The snapshot's newest drill that passed, or null. */
    public static Uni<DrillRecord> passedOf(String snapshotId) {
        return find("snapshotId = ?1 and state = ?2 order by finishedAt desc", snapshotId, DrillState.PASSED).firstResult();
    }

    /** Newest first; all clusters when {@code clusterId} is null. */
    public static Uni<List<DrillRecord>> newestFirst(String clusterId, int limit) {
        return (clusterId == null ? find("order by createdAt desc") : find("clusterId = ?1 order by createdAt desc", clusterId)).page(0, limit).list();
    }
}
