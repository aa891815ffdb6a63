package dev.lifeboat.snapshot.stream;


import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;


import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.snapshot.catalog.Catalog;
import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.KeyRing;
import dev.lifeboat.snapshot.etcd.EtcdSnapshotSource;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.ObjectStoreException;
import dev.lifeboat.access.format.StoredFormat;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.logging.Log;
import dev.lifeboat.events.work.ClaimedWork;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Takes one full snapshot: streams it into a multipart upload under a staging key, completes the
 * upload only once the stream was verified, then copies it server-side to its final name — which, like
 * its user metadata, holds facts known only at the end of the stream (the exact revision, the SHA-256s) —
 * and removes the staging object. On any failure the upload is aborted: no partial object is visible.
 * An unreachable etcd or S3 is tried again by {@link SnapshotRunner} ({@code retry-for}).
 */
@ApplicationScoped
public class SnapshotTaker {

    private final EtcdSnapshotSource etcd;
    private final SnapshotPipeline pipeline;
    private final ObjectStore store;
    private final Catalog catalog;
    private final KeyRing keys;
    private final SnapshotServiceConfig config;
    private final ObjectNames names;

    public SnapshotTaker(EtcdSnapshotSource etcd, SnapshotPipeline pipeline, ObjectStore store, Catalog catalog, KeyRing keys,
            SnapshotServiceConfig config, ObjectNames names) {
        this.etcd = etcd;
        this.pipeline = pipeline;
        this.store = store;
        this.catalog = catalog;
        this.keys = keys;
        this.config = config;
        this.names = names;
    }

    @WithSpan("SnapshotTaker.take")
    public SnapshotCompleted take(Catalog.Claim claim, String owner) throws IOException, InterruptedException {
        Span.current().setAttribute("lifeboat.cluster.id", claim.clusterId()).setAttribute("lifeboat.snapshot.id", claim.snapshotId());
        ClusterSpec spec = claim.spec();
        String bucket = names.bucket(spec);
        String base = names.base(claim.clusterId(), spec);
        String stagingKey = base + "/.staging/" + claim.snapshotId();
        Compression compression = config.snapshots().compression();
        String keyId = keys.activeKey().orElse(null);

        long begin = System.nanoTime();
        String uploadId = store.startUpload(bucket, stagingKey);
        ClaimedWork.await(() -> catalog.recordUpload(claim.snapshotId(), owner, bucket, stagingKey, uploadId));
        SnapshotPipeline.Result result;
        String endpoint;
        String version;
        String etcdClusterId;
        SnapshotCompleted.KeyspaceFingerprint keyspace;
        try (EtcdSnapshotSource.Stream stream = etcd.open(claim.clusterId(), spec)) {
            endpoint = stream.endpoint();
            version = stream.etcdVersion();
            etcdClusterId = stream.etcdClusterId();
            ClaimedWork.await(() -> catalog.recordSource(claim.snapshotId(), stream.endpoint(), stream.etcdClusterId()));
            result = pipeline.stream(stream.bytes(), bucket, stagingKey, uploadId, compression, keyId);
            keyspace = fingerprint(stream, claim, result.revision());
            store.complete(bucket, stagingKey, uploadId, result.etags());
        } catch (Throwable e) {
            abortQuietly(bucket, stagingKey, uploadId);
            throw e;
        }
        long streamed = System.nanoTime();
        Instant completedAt = Instant.now();
        String objectKey = base + "/full/" + ObjectNames.time(claim.startedAt()) + "-r"
                + result.revision() + "-" + claim.snapshotId() + StoredFormat.suffix(compression, keyId);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("lifeboat-cluster", claim.clusterId());
        metadata.put("lifeboat-snapshot-id", claim.snapshotId());
        metadata.put("lifeboat-revision", Long.toString(result.revision()));
        metadata.put("lifeboat-db-sha256", result.rawSha256());
        metadata.put("lifeboat-raw-size", Long.toString(result.rawSize()));
        metadata.put("lifeboat-stored-sha256", result.storedSha256());
        metadata.put("lifeboat-compression", compression.name().toLowerCase());
        metadata.put("lifeboat-etcd-version", version);
        metadata.put("lifeboat-etcd-cluster-id", etcdClusterId);
        if (keyId != null) {
            metadata.put("lifeboat-encryption", "tink-aes256-gcm-hkdf-1mb");
            metadata.put("lifeboat-key-id", keyId);
        }
        store.copy(bucket, stagingKey, objectKey, metadata);
        store.delete(bucket, stagingKey);
        long copied = System.nanoTime();
        Span.current().setAttribute("lifeboat.snapshot.revision", result.revision())
                .setAttribute("lifeboat.snapshot.bytes", result.rawSize());
        Log.infof("snapshot %s of cluster %s: revision %d, %d bytes (%d stored) at s3://%s/%s from %s; streamed in %.1f s, "
                + "named in %.1f s", claim.snapshotId(), claim.clusterId(), result.revision(), result.rawSize(), result.storedSize(),
                bucket, objectKey, endpoint, (streamed - begin) / 1e9, (copied - streamed) / 1e9);
        return new SnapshotCompleted(claim.snapshotId(), claim.requestId(), claim.clusterId(), SnapshotKind.FULL, result.revision(),
                null, bucket, objectKey, result.rawSize(), result.storedSize(), result.rawSha256(), result.storedSha256(),
                compression.name().toLowerCase(), keyId, version, claim.startedAt(), completedAt, null, null, keyspace);
    }

    /**
     * The source member's keyspace fingerprint at the snapshot's revision, for restore drills; a member that cannot give
     * it (the revision compacted in the meantime, an old etcd) leaves the snapshot without one — still a good snapshot,
     * whose drills then compare the key count and the sample only.
     */
    private static SnapshotCompleted.KeyspaceFingerprint fingerprint(EtcdSnapshotSource.Stream stream, Catalog.Claim claim, long revision) {
        try {
            SnapshotCompleted.KeyspaceFingerprint fingerprint = stream.fingerprint(revision);
            Span.current().setAttribute("lifeboat.snapshot.kv_hash", fingerprint.hash());
            return fingerprint;
        } catch (RuntimeException e) {
            Log.warnf("snapshot %s of cluster %s: no keyspace fingerprint recorded: %s", claim.snapshotId(), claim.clusterId(), e.getMessage());
            return null;
        }
    }

    /**
     * Removes what a crashed earlier attempt left: the unfinished upload the catalog recorded (and any
     * other the store lists for the staging key, where it can list them) and a staging object.
     */
    public void cleanUpAfterCrash(Catalog.Claim claim) {
        if (claim.bucket() == null || claim.stagingKey() == null) {
            return;
        }
        try {
            if (claim.uploadId() != null) {
                store.abort(claim.bucket(), claim.stagingKey(), claim.uploadId());
                Log.infof("aborted the unfinished upload of snapshot %s left by an earlier attempt", claim.snapshotId());
            }
            if (store.size(claim.bucket(), claim.stagingKey()) >= 0) {
                store.delete(claim.bucket(), claim.stagingKey());
            }
        } catch (ObjectStoreException e) {
            Log.warnf("cannot clean up after an earlier attempt of snapshot %s: %s", claim.snapshotId(), e.getMessage());
        }
        try {
            for (String upload : store.pendingUploads(claim.bucket(), claim.stagingKey())) {
                store.abort(claim.bucket(), claim.stagingKey(), upload);
            }
        } catch (ObjectStoreException e) {
            Log.debugf("the object store cannot list unfinished uploads: %s", e.getMessage());
        }
    }

    private void abortQuietly(String bucket, String key, String uploadId) {
        try {
            store.abort(bucket, key, uploadId);
        } catch (ObjectStoreException e) {
            Log.warnf("cannot abort the upload of s3://%s/%s (retention's reconciliation removes it): %s", bucket, key, e.getMessage());
        }
    }

}
