package dev.lifeboat.snapshot.stream;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import dev.lifeboat.access.store.ObjectStore;

/**
 * The end of the pipeline: cuts the stored bytes into parts of a multipart upload and uploads up to
 * {@code inFlight} of them at once. Memory is bounded by (inFlight + 1) part buffers: a writer that gets
 * ahead of S3 waits for a free buffer, so a slow store slows the etcd stream instead of filling the heap.
 * The buffers come from, and go back to, a pool shared by the snapshots: a new snapshot does not allocate
 * them again while the last one's wait for a full collection of the old generation.
 */
final class PartUploader extends OutputStream {

    private final ObjectStore store;
    private final String bucket;
    private final String key;
    private final String uploadId;
    private final ExecutorService executor;
    private final BlockingQueue<byte[]> free;
    private final BlockingQueue<byte[]> pool;
    private final List<Future<String>> parts = new ArrayList<>();
    private byte[] current;
    private int filled;
    private boolean closed;

    PartUploader(ObjectStore store, String bucket, String key, String uploadId, int partSize, int inFlight, ExecutorService executor,
            BlockingQueue<byte[]> pool) {
        this.store = store;
        this.bucket = bucket;
        this.key = key;
        this.uploadId = uploadId;
        this.executor = executor;
        this.pool = pool;
        this.free = new ArrayBlockingQueue<>(inFlight + 1);
        for (int i = 0; i <= inFlight; i++) {
            byte[] pooled = pool.poll();
            free.add(pooled != null && pooled.length == partSize ? pooled : new byte[partSize]);
        }
        this.current = free.poll();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) throws IOException {
        if (failed) {
            // A compressor or cipher closing after the failure flushes its rest here: a new exception, never the one the
            // caller holds (Java cannot add an exception to itself as suppressed).
            throw new IOException("the upload of s3://" + bucket + "/" + key + " failed already");
        }
        while (length > 0) {
            int n = Math.min(length, current.length - filled);
            System.arraycopy(bytes, offset, current, filled, n);
            filled += n;
            offset += n;
            length -= n;
            if (filled == current.length) {
                submit();
                current = takeFreeBuffer();
            }
        }
    }

    private void submit() throws IOException {
        failFast();
        byte[] buffer = current;
        int length = filled;
        int number = parts.size() + 1;
        parts.add(executor.submit(() -> {
            try {
                return store.uploadPart(bucket, key, uploadId, number, buffer, length);
            } finally {
                free.add(buffer);
            }
        }));
        current = null;
        filled = 0;
    }

    private byte[] takeFreeBuffer() throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for S3", e);
        }
    }

    /** A part that already failed fails the stream at once, not at the end. */
    private void failFast() throws IOException {
        for (Future<String> part : parts) {
            if (part.isDone()) {
                etag(part);
            }
        }
    }

    /** Whether a part upload failed and its failure was thrown. */
    private boolean failed;

    /** Uploads the last part and waits for every part. */
    @Override
    public void close() throws IOException {
        if (closed || failed) {
            // After a failure the caller already holds it (closing in a try-with-resources must not throw the same
            // exception again: Java cannot add an exception to itself as suppressed); the upload is aborted.
            return;
        }
        closed = true;
        if (filled > 0 || parts.isEmpty()) {
            submit();
        }
        for (Future<String> part : parts) {
            etag(part);
        }
    }

    /** ETags of the parts, in order; after {@link #close()}. */
    List<String> etags() throws IOException {
        List<String> etags = new ArrayList<>();
        for (Future<String> part : parts) {
            etags.add(etag(part));
        }
        return etags;
    }

    /**
     * Gives the buffers no part upload uses any more back to the pool (as many as it takes); one still
     * being uploaded after a failure is left to the garbage collector.
     */
    void release() {
        if (current != null) {
            pool.offer(current);
            current = null;
        }
        for (byte[] buffer = free.poll(); buffer != null; buffer = free.poll()) {
            pool.offer(buffer);
        }
    }

    /** Stops waiting for parts in flight (their upload is aborted by the caller). */
    void cancel() {
        parts.forEach(part -> part.cancel(true));
    }

    private String etag(Future<String> part) throws IOException {
        try {
            return part.get();
        } catch (ExecutionException e) {
            failed = true;
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for S3", e);
        }
    }
}
