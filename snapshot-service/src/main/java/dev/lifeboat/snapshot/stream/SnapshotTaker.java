package dev.lifeboat.snapshot.stream;


import java.io.IOException;
import java.time.Instant;
import java.util.List;


import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.SnapshotKind;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.snapshot.catalog.Catalog;
import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.KeyRing;
import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.snapshot.etcd.EtcdSnapshotSource;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.ObjectStoreException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.logging.Log;
import dev.lifeboat.events.work.ClaimedWork;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Takes one full snapshot: streams it into a multipart upload straight to its final name (time and snapshot id,
 * known at the start: {@link ObjectLayout}), completes the upload only once the stream was verified, then writes the
 * manifest beside it with the facts known only at the end (revision, sizes, SHA-256s, etcd version): nothing is copied
 * server-side. The manifest marks the backup complete. On any failure the upload is aborted (or the completed object
 * removed when its manifest cannot be written): no partial backup is visible. The catalog records the object's name
 * before the first byte, so an attempt a crash interrupted is cleaned up by the next ({@link #cleanUpAfterCrash}).
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
    private final Manifests manifests;

    public SnapshotTaker(EtcdSnapshotSource etcd, SnapshotPipeline pipeline, ObjectStore store, Catalog catalog, KeyRing keys,
            SnapshotServiceConfig config, ObjectNames names, Manifests manifests) {
        this.etcd = etcd;
        this.pipeline = pipeline;
        this.store = store;
        this.catalog = catalog;
        this.keys = keys;
        this.config = config;
        this.names = names;
        this.manifests = manifests;
    }

    @WithSpan("SnapshotTaker.take")
    public SnapshotCompleted take(Catalog.Claim claim, String owner) throws IOException, InterruptedException {
        Span.current().setAttribute("lifeboat.cluster.id", claim.clusterId()).setAttribute("lifeboat.snapshot.id", claim.snapshotId());
        ClusterSpec spec = claim.spec();
        String bucket = names.bucket(spec);
        Compression compression = config.snapshots().compression();
        String keyId = keys.activeKey().orElse(null);
        String objectKey = ObjectLayout.full(names.base(claim.clusterId(), spec), claim.startedAt(), claim.snapshotId(), claim.attempt(),
                compression, keyId);

        long begin = System.nanoTime();
        String uploadId = store.startUpload(bucket, objectKey, ObjectNames.metadata(claim.clusterId(), claim.snapshotId(), "full", compression, keyId));
        ClaimedWork.await(() -> catalog.recordUpload(claim.snapshotId(), owner, bucket, objectKey, uploadId));
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
            result = pipeline.stream(stream.bytes(), bucket, objectKey, uploadId, compression, keyId);
            keyspace = fingerprint(stream, claim, result.revision());
            store.complete(bucket, objectKey, uploadId, result.etags());
        } catch (Throwable e) {
            abortQuietly(bucket, objectKey, uploadId);
            throw e;
        }
        long streamed = System.nanoTime();
        SnapshotCompleted completed = new SnapshotCompleted(claim.snapshotId(), claim.requestId(), claim.clusterId(), SnapshotKind.FULL,
                result.revision(), null, bucket, objectKey, result.rawSize(), result.storedSize(), result.rawSha256(), result.storedSha256(),
                compression.name().toLowerCase(), keyId, version, claim.startedAt(), Instant.now(), null, null, keyspace);
        manifests.write(completed, etcdClusterId);
        long marked = System.nanoTime();
        Span.current().setAttribute("lifeboat.snapshot.revision", result.revision())
                .setAttribute("lifeboat.snapshot.bytes", result.rawSize());
        Log.infof("snapshot %s of cluster %s: revision %d, %d bytes (%d stored) at s3://%s/%s from %s; streamed in %.1f s, "
                + "manifest in %.2f s", claim.snapshotId(), claim.clusterId(), result.revision(), result.rawSize(), result.storedSize(),
                bucket, objectKey, endpoint, (streamed - begin) / 1e9, (marked - streamed) / 1e9);
        return completed;
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
     * Removes what a crashed earlier attempt left: the unfinished upload the catalog recorded (and any other the store
     * lists for its key, where it can list them), and the object and manifest if that attempt got as far as completing
     * them before it died without recording the snapshot Completed.
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
        } catch (ObjectStoreException e) {
            Log.warnf("cannot abort the upload of snapshot %s left by an earlier attempt: %s", claim.snapshotId(), e.getMessage());
        }
        try {
            for (String key : List.of(claim.stagingKey(), ObjectLayout.manifestOf(claim.stagingKey()))) {
                if (store.size(claim.bucket(), key) >= 0) {
                    store.delete(claim.bucket(), key);
                    Log.infof("removed s3://%s/%s, stored by an earlier attempt of snapshot %s that never recorded it", claim.bucket(), key,
                            claim.snapshotId());
                }
            }
        } catch (ObjectStoreException e) {
            Log.warnf("cannot clean up after an earlier attempt of snapshot %s (retention's reconciliation removes what is left): %s",
                    claim.snapshotId(), e.getMessage());
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
