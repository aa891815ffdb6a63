package dev.lifeboat.snapshot.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.StoredFormat;
import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.snapshot.stream.CountingDigestStream;

/**
 * One delta on its way to the bucket, written as the changes arrive: delta file → SHA-256 of the plain
 * bytes → compression → encryption → SHA-256 of the stored bytes → a buffer of at most one part.
 *
 * <p>The object's name is known from the start. A delta that fits one part (most do) is stored with a
 * single PUT, whole or not at all. A larger one becomes a multipart upload to that name: a full part is
 * uploaded at once, on the capture's thread, so a slow S3 slows the capture (and etcd holds the changes)
 * instead of memory growing; at the end the upload is completed. Nothing is copied. The manifest that
 * marks it complete is the caller's to write. Memory: one part buffer, grown only as far as needed.
 */
final class DeltaUpload {

    /** What the stored delta holds, known once it is finished. */
    record Stored(DeltaFile.Summary summary, long rawSize, String rawSha256, long storedSize, String storedSha256) {
    }

    private final ObjectStore store;
    private final String bucket;
    private final String key;
    private final Map<String, String> metadata;
    private final PartSink parts;
    private final CountingDigestStream stored;
    private final CountingDigestStream raw;
    private final OutputStream layers;
    private final DeltaFile.Writer writer;

    DeltaUpload(ObjectStore store, StoredFormat format, String bucket, String key, Map<String, String> metadata, DeltaFile.Header header,
            Compression compression, int zstdLevel, String keyId, int partSize) throws IOException {
        this.store = store;
        this.bucket = bucket;
        this.key = key;
        this.metadata = metadata;
        this.parts = new PartSink(partSize);
        this.stored = new CountingDigestStream(parts);
        this.layers = format.writer(stored, compression, zstdLevel, 0, keyId);
        this.raw = new CountingDigestStream(layers);
        this.writer = new DeltaFile.Writer(raw, header);
    }

    void write(DeltaEvent event) throws IOException {
        writer.write(event);
    }

    long events() {
        return writer.events();
    }

    long lastRevision() {
        return writer.lastRevision();
    }

    /** Plain bytes so far: what the size threshold counts. */
    long rawBytes() {
        return writer.bytes();
    }

    /** Writes the trailer, ends the layers and makes the object visible; returns its facts. */
    Stored finish() throws IOException {
        DeltaFile.Summary summary = writer.finish();
        layers.close();
        parts.finish();
        return new Stored(summary, raw.count(), raw.sha256(), stored.count(), stored.sha256());
    }

    /** Drops an unfinished multipart upload; nothing becomes visible. */
    void abort() {
        parts.abort();
    }

    /** Holds up to one part; uploads a full one at once. */
    private final class PartSink extends OutputStream {

        private final int partSize;
        private final List<String> etags = new ArrayList<>();
        private byte[] buffer;
        private int filled;
        private String uploadId;

        PartSink(int partSize) {
            this.partSize = partSize;
            this.buffer = new byte[Math.min(1 << 16, partSize)];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) {
            while (length > 0) {
                if (filled == buffer.length && buffer.length < partSize) {
                    buffer = Arrays.copyOf(buffer, Math.min(partSize, buffer.length * 2));
                }
                int n = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == partSize) {
                    uploadPart();
                }
            }
        }

        private void uploadPart() {
            if (uploadId == null) {
                uploadId = store.startUpload(bucket, key, metadata);
            }
            etags.add(store.uploadPart(bucket, key, uploadId, etags.size() + 1, buffer, filled));
            filled = 0;
        }

        void finish() {
            if (uploadId == null) {
                store.put(bucket, key, buffer, filled, metadata);
                return;
            }
            if (filled > 0) {
                uploadPart();
            }
            store.complete(bucket, key, uploadId, etags);
            uploadId = null;
        }

        void abort() {
            if (uploadId != null) {
                store.abort(bucket, key, uploadId);
                uploadId = null;
            }
        }
    }
}
