package dev.lifeboat.snapshot.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Executor;

import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.events.api.RequestRefusedException;
import io.quarkus.logging.Log;
import io.quarkus.runtime.Startup;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.unchecked.Unchecked;
import jakarta.inject.Singleton;

/**
 * A stored object's plain content as an HTTP body whose memory is set by configuration, not by the client,
 * the protocol or how well the snapshot compresses: chunks of {@code lifeboat.content.chunk-size} bytes are
 * read (S3, decryption, decompression) on a worker thread one at a time, and the next only after Quarkus
 * REST has written the previous one to the connection — it writes a {@code Multi} with a demand of one and
 * asks for the next item when the write completed. A download holds about two chunks.
 * <p>
 * Why not a {@code StreamingOutput}: Quarkus' blocking output stream waits only while the connection's write
 * queue is full, and over HTTP/2 that flag changes only after the event loop has run the writes queued for
 * it; a worker that decompresses faster than the event loop sends fills direct memory meanwhile (a 105 MB
 * snapshot that zstd stored in 835 KB exhausted 64 MB when the etcd-agent's HTTP/2 client fetched it).
 */
@Startup
@Singleton
public class ContentStreams {

    static final String CHUNK_SIZE = "lifeboat.content.chunk-size";
    private static final int MIN_CHUNK = 4096;
    private static final int MAX_CHUNK = 16 << 20;

    private final int chunkSize;

    public ContentStreams(SnapshotServiceConfig config) {
        chunkSize = config.content().chunkSize();
        if (chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
            throw new IllegalArgumentException(CHUNK_SIZE + " must be between " + MIN_CHUNK + " and " + MAX_CHUNK + " bytes, not " + chunkSize);
        }
    }

    /** A stream that opens with blocking I/O (an S3 GET). */
    interface Opening {
        InputStream open() throws IOException;
    }

    /**
     * The stream's bytes in chunks, read when asked for: the stream is opened on the reader thread with the first
     * chunk, and closed when they end, fail, or the client goes away.
     */
    Multi<byte[]> chunks(Opening opening, String what) {
        Source source = new Source(opening, chunkSize, what);
        Executor readers = Infrastructure.getDefaultWorkerPool();
        return Multi.createBy().repeating()
                .uni(() -> Uni.createFrom().item(Unchecked.supplier(source::next)).runSubscriptionOn(readers))
                .until(chunk -> chunk.length == 0)
                .onFailure().invoke(e -> Log.warnf("the content of %s broke off: %s", what, e.getMessage()))
                .onTermination().invoke(() -> readers.execute(source::close));
    }

    /**
     * Reads and closes under one lock, so that a client going away while a chunk is read (the cancel comes on
     * the event loop) closes the stream after that read, never in the middle of native decompression.
     */
    private static final class Source {

        private static final byte[] END = new byte[0];

        private final Opening opening;
        private final int chunkSize;
        private final String what;
        private InputStream plain;
        private boolean closed;

        Source(Opening opening, int chunkSize, String what) {
            this.opening = opening;
            this.chunkSize = chunkSize;
            this.what = what;
        }

        synchronized byte[] next() throws IOException {
            if (closed) {
                return END;
            }
            if (plain == null) {
                plain = opening.open();
            }
            try {
                return plain.readNBytes(chunkSize);
            } catch (IOException e) {
                // Decryption refuses a segment whose tag does not match, zstd/gzip a frame they cannot decode: the
                // stored object is not what was written. Before the first chunk the client gets this message; later
                // the transfer breaks off and the client's SHA-256 check fails.
                String cause = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("").strip();
                throw new RequestRefusedException(502, null, what + " cannot be read back from its stored object (" + cause
                        + "): the object was changed or damaged after the backup, or the object store broke off the read");
            }
        }

        synchronized void close() {
            if (closed) {
                return;
            }
            closed = true;
            if (plain == null) {
                return;
            }
            try {
                plain.close();
            } catch (IOException e) {
                Log.debugf("closing the content of %s: %s", what, e.getMessage());
            }
        }
    }
}
