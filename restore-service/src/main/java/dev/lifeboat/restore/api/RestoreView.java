package dev.lifeboat.restore.api;

import java.time.Instant;
import java.util.Map;

import dev.lifeboat.events.RestoreMode;
import dev.lifeboat.events.RestorePhase;
import dev.lifeboat.restore.saga.RestoreRecord;
import dev.lifeboat.restore.saga.Restores;

/** A restore as the API shows it. */
public record RestoreView(String id, String cluster, String targetCluster, String snapshot, RestoreMode mode, String keyPrefix,
        boolean prune, boolean dryRun, RestorePhase phase, String error, String note, Map<String, Map<String, Instant>> phases,
        Progress progress, String requester, Instant createdAt, Instant updatedAt) {

    /** Keys of the snapshot (in the range) processed of the total; at the end what was put, deleted, left unchanged. */
    public record Progress(Long keysTotal, Long keysProcessed, Long keysPut, Long keysDeleted, Long keysUnchanged) {
    }

    static RestoreView of(RestoreRecord restore) {
        return new RestoreView(restore.id, restore.clusterId, restore.targetCluster, restore.snapshotId, restore.mode, restore.keyPrefix,
                restore.prune, restore.dryRun, restore.phase, restore.error, restore.note, Restores.phases(restore.phases),
                new Progress(restore.keysTotal, restore.keysProcessed, restore.keysPut, restore.keysDeleted, restore.keysUnchanged),
                restore.requester, restore.createdAt, restore.updatedAt);
    }
}
