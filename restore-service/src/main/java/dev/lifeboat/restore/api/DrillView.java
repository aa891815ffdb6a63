package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.List;

import dev.lifeboat.restore.drill.DrillRecord;

/**
 * A restore drill as the API shows it: the verdict ({@code state} PASSED or FAILED; RUNNING before), where a failed one
 * stopped ({@code stage}) and why, the keyspace fingerprint expected (recorded at backup time) and observed (served by
 * the scratch etcd), and what was measured — {@code recoveryMillis} is fetch + restore + start, the cluster's measured
 * recovery time for this snapshot. A point-in-time drill names the revision asked for ({@code toRevision}) and the deltas
 * replayed onto the snapshot up to {@code revision}, where it compared.
 */
public record DrillView(String id, String cluster, String snapshot, long revision, Long toRevision, List<String> deltas, String member, String state, String stage, String reason,
        String note, String requester, int attempts, Long expectedHash, Long expectedKeys, Long observedHash, Long observedKeys,
        Boolean hashCompared, Integer sampledKeys, String etcdVersion, Times times, Instant createdAt, Instant finishedAt) {

    public record Times(Long fetchMillis, Long restoreMillis, Long startMillis, Long verifyMillis, Long recoveryMillis, Long dbBytes) {
    }

    static DrillView of(DrillRecord drill) {
        return new DrillView(drill.id, drill.clusterId, drill.snapshotId, drill.revision, drill.toRevision, drill.deltas(), drill.memberName, drill.state.name(), drill.stage,
                drill.reason, drill.note, drill.requester, drill.attempts, drill.expectedHash, drill.expectedKeys, drill.observedHash,
                drill.observedKeys, drill.hashCompared, drill.sampledKeys, drill.etcdVersion, new Times(drill.fetchMillis, drill.restoreMillis,
                        drill.startMillis, drill.verifyMillis, drill.recoveryMillis(), drill.dbBytes), drill.createdAt, drill.finishedAt);
    }
}
