package dev.lifeboat.snapshot.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.junit.jupiter.api.Test;

import dev.lifeboat.access.store.ObjectStore;
import dev.lifeboat.access.store.ObjectStoreException;

/**
 * A part upload that fails reaches the caller as itself, even when a stream over the uploader (a compressor, a cipher)
 * flushes its rest into it while closing after the failure: that second write must not throw the same exception again,
 * which a try-with-resources turns into "Self-suppression not permitted" and which hid an S3 outage from the retry.
 */
class PartUploaderTest {

    private static final int PART = 1024;

    @Test
    void aFailedPartReachesTheCallerAsItselfWhenAStreamOverTheUploaderFlushesWhileClosing() {
        ObjectStore unreachable = (ObjectStore) Proxy.newProxyInstance(ObjectStore.class.getClassLoader(), new Class<?>[] {ObjectStore.class},
                (proxy, method, args) -> {
                    throw new ObjectStoreException("S3: cannot upload part " + args[3], new ConnectException("Connection refused"));
                });
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            PartUploader uploader = new PartUploader(unreachable, "bucket", "key", "upload-1", PART, 1, executor, new ArrayBlockingQueue<>(2));
            ObjectStoreException failure = assertThrows(ObjectStoreException.class, () -> {
                try (OutputStream compressor = new FlushingOnClose(uploader)) {
                    for (int i = 0; i < 1000; i++) {
                        compressor.write(new byte[PART]);
                    }
                }
            });
            assertInstanceOf(ConnectException.class, failure.getCause(), "the cause says S3 is unreachable (what the retry looks for)");
            assertEquals(1, failure.getSuppressed().length, "the flush while closing failed too, as an exception of its own");
            assertTrue(failure.getSuppressed()[0].getMessage().contains("failed already"), failure.getSuppressed()[0].getMessage());
        } finally {
            executor.shutdownNow();
        }
    }

    /** Like a zstd or cipher stream: on close it writes what it still holds (more than a part) before closing what it wraps. */
    private static final class FlushingOnClose extends FilterOutputStream {

        FlushingOnClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            out.write(bytes, 0, bytes.length);
        }

        @Override
        public void close() throws IOException {
            try {
                out.write(new byte[PART + 1], 0, PART + 1);
            } finally {
                out.close();
            }
        }
    }
}
