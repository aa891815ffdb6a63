package dev.lifeboat.snapshot.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.lifeboat.etcdsnapshot.HashTrailer;
import dev.lifeboat.etcdsnapshot.StreamingRevisionProbe;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.StoredFormat;
import dev.lifeboat.access.store.ObjectStore;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * One pass from etcd to a multipart upload: etcd's bytes → SHA-256 trailer check and exact revision
 * (snapshot-format) → compression → encryption → stored SHA-256 → parts. Nothing is on disk; memory is
 * bounded by the part buffers. The upload is completed only by the caller, after this returns: a
 * stream whose trailer is missing or wrong throws here, before.
 */
@ApplicationScoped
public class SnapshotPipeline {

    /**
     * The facts of a streamed snapshot.
     *
     * @param rawSize   bytes of the plain snapshot file (db + 32-byte trailer)
     * @param rawSha256 SHA-256 of the db, as etcd's trailer states it
     * @param revision  the exact store revision, read from the stream
     */
    public record Result(long rawSize, String rawSha256, long revision, long storedSize, String storedSha256, List<String> etags) {
    }

    private final ObjectStore store;
    private final StoredFormat format;
    private final SnapshotServiceConfig.Snapshots config;
    private final ExecutorService uploads;
    /** Part buffers kept between snapshots: one snapshot's worth. */
    private final BlockingQueue<byte[]> partBuffers;

    public SnapshotPipeline(ObjectStore store, StoredFormat format, SnapshotServiceConfig config) {
        this.store = store;
        this.format = format;
        this.config = config.snapshots();
        this.uploads = Executors.newFixedThreadPool(this.config.maxConcurrent() * this.config.partsInFlight(), runnable -> {
            Thread thread = new Thread(runnable, "snapshot-part-upload");
            thread.setDaemon(true);
            return thread;
        });
        this.partBuffers = new ArrayBlockingQueue<>(this.config.partsInFlight() + 1);
    }

    void onStop(@Observes ShutdownEvent event) {
        uploads.shutdownNow();
    }

    public Result stream(InputStream etcd, String bucket, String key, String uploadId, Compression compression, String keyId)
            throws IOException {
        PartUploader parts = new PartUploader(store, bucket, key, uploadId, config.partSize(), config.partsInFlight(), uploads, partBuffers);
        try {
            CountingDigestStream stored = new CountingDigestStream(parts);
            HashTrailer.VerifyingInputStream verified = new HashTrailer.VerifyingInputStream(etcd, new StreamingRevisionProbe());
            try (OutputStream plain = format.writer(stored, compression, config.zstdLevel(), config.zstdWorkers(), keyId)) {
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = verified.read(buffer, 0, buffer.length)) >= 0) {
                    plain.write(buffer, 0, n);
                }
            }
            HashTrailer.Verified facts = verified.verified();
            return new Result(verified.bytesSeen(), facts.sha256(), facts.revision(), stored.count(), stored.sha256(), parts.etags());
        } catch (IOException | RuntimeException e) {
            parts.cancel();
            throw e;
        } finally {
            parts.release();
        }
    }
}
