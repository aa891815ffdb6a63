package dev.lifeboat.snapshot.delta;

import java.io.IOException;
import java.time.Instant;
import java.util.List;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.KeyRing;
import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.format.StoredFormat;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.ObjectStoreException;
import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.snapshot.stream.Manifests;
import dev.lifeboat.snapshot.stream.ObjectNames;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Names, layers and stores deltas: {@code <prefix>/<cluster>/delta/<UTC time of its first change>-<id>.delta[.zst|.gz][.enc]}
 * ({@link ObjectLayout}), compressed and encrypted like full snapshots (the active key), with its facts (revisions,
 * chain, base snapshot, sizes, SHA-256s) in the manifest beside it.
 */
@ApplicationScoped
public class DeltaStore {

    private final ObjectStore store;
    private final StoredFormat format;
    private final KeyRing keys;
    private final ObjectNames names;
    private final SnapshotServiceConfig config;
    private final Manifests manifests;

    public DeltaStore(ObjectStore store, StoredFormat format, KeyRing keys, ObjectNames names, SnapshotServiceConfig config,
            Manifests manifests) {
        this.store = store;
        this.format = format;
        this.keys = keys;
        this.names = names;
        this.config = config;
        this.manifests = manifests;
    }

    /** A delta being written; {@code openedAt} is when its first change arrived, which starts its period. */
    Open open(String clusterId, ClusterSpec spec, DeltaFile.Header header, Instant openedAt) throws IOException {
        return new Open(clusterId, spec, header, openedAt);
    }

    /** Removes a stored delta that turned out not to continue its chain, and its manifest. */
    void remove(SnapshotCompleted delta) {
        try {
            List<String> failed = store.deleteAll(delta.bucket(), List.of(delta.objectKey(), ObjectLayout.manifestOf(delta.objectKey())));
            if (!failed.isEmpty()) {
                Log.warnf("cannot remove %s of delta %s that no chain took (retention's reconciliation removes it)", failed, delta.snapshotId());
            }
        } catch (ObjectStoreException e) {
            Log.warnf("cannot remove delta %s that no chain took (retention's reconciliation removes it): %s", delta.snapshotId(), e.getMessage());
        }
    }

    final class Open {

        private final String id = Ids.newId();
        private final String clusterId;
        private final String bucket;
        private final String key;
        private final DeltaFile.Header header;
        private final Instant openedAt;
        private final Compression compression;
        private final String keyId;
        private final DeltaUpload upload;
        private Instant lastEventAt;

        private Open(String clusterId, ClusterSpec spec, DeltaFile.Header header, Instant openedAt) throws IOException {
            this.clusterId = clusterId;
            this.bucket = names.bucket(spec);
            this.header = header;
            this.openedAt = openedAt;
            this.compression = config.snapshots().compression();
            this.keyId = keys.activeKey().orElse(null);
            this.key = ObjectLayout.delta(names.base(clusterId, spec), openedAt, id, compression, keyId);
            this.upload = new DeltaUpload(store, format, bucket, key,
                    ObjectNames.metadata(clusterId, id, "delta", compression, keyId), header, compression, config.snapshots().zstdLevel(), keyId,
                    config.capture().partSize());
        }

        void write(DeltaEvent event) throws IOException {
            upload.write(event);
            lastEventAt = event.time();
        }

        long events() {
            return upload.events();
        }

        long rawBytes() {
            return upload.rawBytes();
        }

        long lastRevision() {
            return upload.lastRevision();
        }

        Instant openedAt() {
            return openedAt;
        }

        /** Stores the delta and its manifest; returns its facts as the event that announces it. */
        SnapshotCompleted finish(String baseSnapshotId) throws IOException {
            long first = header.afterRevision() + 1;
            long last = upload.lastRevision();
            DeltaUpload.Stored stored = upload.finish();
            SnapshotCompleted completed = new SnapshotCompleted(id, "delta-" + id, clusterId, SnapshotKind.DELTA, last, first, bucket, key,
                    stored.rawSize(), stored.storedSize(), stored.rawSha256(), stored.storedSha256(), compression.name().toLowerCase(), keyId,
                    null, openedAt, Instant.now(), header.chainId(), new SnapshotCompleted.DeltaFacts(baseSnapshotId, stored.summary().events(),
                            openedAt, lastEventAt));
            manifests.write(completed, null);
            return completed;
        }

        void abort() {
            try {
                upload.abort();
            } catch (ObjectStoreException e) {
                Log.debugf("cannot abort the upload of delta %s: %s", id, e.getMessage());
            }
        }
    }
}
