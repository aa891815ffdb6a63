package dev.lifeboat.snapshot.delta;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.KeyRing;
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
import dev.lifeboat.snapshot.stream.ObjectNames;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Names, layers and stores deltas: {@code <prefix>/<cluster>/delta/<UTC time of its first change>-r<first>-r<last>-<id>.delta[.zst|.gz][.enc]},
 * compressed and encrypted like full snapshots (the active key), with its facts as user metadata.
 */
@ApplicationScoped
public class DeltaStore {

    private final ObjectStore store;
    private final StoredFormat format;
    private final KeyRing keys;
    private final ObjectNames names;
    private final SnapshotServiceConfig config;

    public DeltaStore(ObjectStore store, StoredFormat format, KeyRing keys, ObjectNames names, SnapshotServiceConfig config) {
        this.store = store;
        this.format = format;
        this.keys = keys;
        this.names = names;
        this.config = config;
    }

    /** A delta being written; {@code openedAt} is when its first change arrived, which starts its period. */
    Open open(String clusterId, ClusterSpec spec, DeltaFile.Header header, Instant openedAt) throws IOException {
        return new Open(clusterId, spec, header, openedAt);
    }

    /** Removes a stored delta that turned out not to continue its chain. */
    void remove(SnapshotCompleted delta) {
        try {
            store.delete(delta.bucket(), delta.objectKey());
        } catch (ObjectStoreException e) {
            Log.warnf("cannot remove delta %s that no chain took (retention's reconciliation removes it): %s", delta.snapshotId(), e.getMessage());
        }
    }

    final class Open {

        private final String id = Ids.newId();
        private final String clusterId;
        private final String bucket;
        private final String base;
        private final DeltaFile.Header header;
        private final Instant openedAt;
        private final Compression compression;
        private final String keyId;
        private final DeltaUpload upload;
        private Instant lastEventAt;

        private Open(String clusterId, ClusterSpec spec, DeltaFile.Header header, Instant openedAt) throws IOException {
            this.clusterId = clusterId;
            this.bucket = names.bucket(spec);
            this.base = names.base(clusterId, spec);
            this.header = header;
            this.openedAt = openedAt;
            this.compression = config.snapshots().compression();
            this.keyId = keys.activeKey().orElse(null);
            this.upload = new DeltaUpload(store, format, bucket, base + "/.staging/delta-" + id, header, compression,
                    config.snapshots().zstdLevel(), keyId, config.capture().partSize());
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

        /** Stores the delta under its final name; returns its facts as the event that announces it. */
        SnapshotCompleted finish(String baseSnapshotId) throws IOException {
            long first = header.afterRevision() + 1;
            long last = upload.lastRevision();
            String key = base + "/delta/" + ObjectNames.time(openedAt) + "-r" + first + "-r" + last + "-" + id
                    + StoredFormat.deltaSuffix(compression, keyId);
            DeltaUpload.Stored stored = upload.finish(key, facts -> metadata(facts, baseSnapshotId));
            return new SnapshotCompleted(id, "delta-" + id, clusterId, SnapshotKind.DELTA, last, first, bucket, key, stored.rawSize(),
                    stored.storedSize(), stored.rawSha256(), stored.storedSha256(), compression.name().toLowerCase(), keyId, null, openedAt,
                    Instant.now(), header.chainId(), new SnapshotCompleted.DeltaFacts(baseSnapshotId, stored.summary().events(), openedAt,
                            lastEventAt));
        }

        void abort() {
            try {
                upload.abort();
            } catch (ObjectStoreException e) {
                Log.debugf("cannot abort the upload of delta %s: %s", id, e.getMessage());
            }
        }

        private Map<String, String> metadata(DeltaUpload.Stored facts, String baseSnapshotId) {
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("lifeboat-cluster", clusterId);
            metadata.put("lifeboat-snapshot-id", id);
            metadata.put("lifeboat-kind", "delta");
            metadata.put("lifeboat-chain", header.chainId());
            metadata.put("lifeboat-base-snapshot", baseSnapshotId);
            metadata.put("lifeboat-first-revision", Long.toString(facts.summary().firstRevision()));
            metadata.put("lifeboat-revision", Long.toString(facts.summary().lastRevision()));
            metadata.put("lifeboat-events", Long.toString(facts.summary().events()));
            metadata.put("lifeboat-delta-sha256", facts.rawSha256());
            metadata.put("lifeboat-raw-size", Long.toString(facts.rawSize()));
            metadata.put("lifeboat-stored-sha256", facts.storedSha256());
            metadata.put("lifeboat-compression", compression.name().toLowerCase());
            if (keyId != null) {
                metadata.put("lifeboat-encryption", "tink-aes256-gcm-hkdf-1mb");
                metadata.put("lifeboat-key-id", keyId);
            }
            return metadata;
        }
    }
}
