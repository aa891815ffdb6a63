package dev.lifeboat.etcdsnapshot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * The SHA-256 that etcd appends to a snapshot stream: the last 32 bytes are the digest of every byte
 * before them. A db file is a whole number of pages (a multiple of 512 bytes), so a file with the
 * trailer has {@code size % 512 == 32} — the rule etcd's own restore uses.
 *
 * <p>An instance checks a stream as it passes: feed every byte to {@link #update}, then call
 * {@link #finish}. Only 32 bytes are held back at any time.
 */
public final class HashTrailer {

    public static final int SIZE = 32;

    private final MessageDigest digest = sha256();
    private final byte[] tail = new byte[SIZE];
    private final StreamingRevisionProbe probe;
    private int tailLength;
    private long total;

    /** Checks the trailer only. */
    public HashTrailer() {
        this(null);
    }

    /** Checks the trailer and feeds the db bytes (not the trailer) to {@code probe}, when not null. */
    public HashTrailer(StreamingRevisionProbe probe) {
        this.probe = probe;
    }

    private void db(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
        if (probe != null) {
            probe.update(bytes, offset, length);
        }
    }

    /** Feeds the next bytes of the stream. */
    public void update(byte[] bytes, int offset, int length) {
        total += length;
        if (length >= SIZE) {
            db(tail, 0, tailLength);
            db(bytes, offset, length - SIZE);
            System.arraycopy(bytes, offset + length - SIZE, tail, 0, SIZE);
            tailLength = SIZE;
            return;
        }
        int overflow = tailLength + length - SIZE;
        if (overflow > 0) {
            db(tail, 0, overflow);
            System.arraycopy(tail, overflow, tail, 0, tailLength - overflow);
            tailLength -= overflow;
        }
        System.arraycopy(bytes, offset, tail, tailLength, length);
        tailLength += length;
    }

    /**
     * Checks the stream seen so far and returns the facts of the db it carried.
     *
     * @throws SnapshotFormatException MISSING_HASH or HASH_MISMATCH
     */
    public Verified finish() {
        if (total % 512 != SIZE) {
            throw new SnapshotFormatException(Problem.MISSING_HASH, "the snapshot has no SHA-256 trailer (" + total
                    + " bytes; a snapshot stream from etcd is a multiple of 512 plus 32): it was cut short or is not an etcd snapshot stream");
        }
        byte[] actual = digest.digest();
        if (!MessageDigest.isEqual(actual, tail)) {
            throw new SnapshotFormatException(Problem.HASH_MISMATCH, "the snapshot's SHA-256 trailer does not match its content (trailer "
                    + HexFormat.of().formatHex(tail) + ", content " + HexFormat.of().formatHex(actual) + "): the file is corrupted");
        }
        return new Verified(total - SIZE, HexFormat.of().formatHex(actual), probe == null ? -1 : probe.revision());
    }

    /** Bytes fed so far, trailer included. */
    public long bytesSeen() {
        return total;
    }

    /**
     * What a verified stream held.
     *
     * @param dbSize size of the db without the trailer
     * @param sha256 hex SHA-256 of the db bytes (equal to the trailer)
     * @param revision the store revision found by a {@link StreamingRevisionProbe}, or -1 without one
     */
    public record Verified(long dbSize, String sha256, long revision) {
    }

    /** Whether a file of this size carries a trailer. */
    public static boolean present(long fileSize) {
        return fileSize % 512 == SIZE;
    }

    /** Verifies the trailer of a file, reading it once. */
    public static Verified verify(Path file) {
        HashTrailer trailer = new HashTrailer();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
            while (channel.read(buffer.clear()) > 0) {
                trailer.update(buffer.array(), 0, buffer.position());
            }
        } catch (IOException e) {
            throw new SnapshotFormatException(Problem.UNREADABLE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        return trailer.finish();
    }

    /**
     * Passes a snapshot stream through unchanged and verifies its trailer when the stream ends: the read
     * that reaches the end throws instead of returning -1 when the trailer is missing or wrong, so a
     * pipeline reading from it fails before it can finish.
     */
    public static final class VerifyingInputStream extends InputStream {

        private final InputStream in;
        private final HashTrailer trailer;
        private Verified verified;

        public VerifyingInputStream(InputStream in) {
            this(in, null);
        }

        /** Also learns the snapshot's exact revision on the way, with {@code probe}. */
        public VerifyingInputStream(InputStream in, StreamingRevisionProbe probe) {
            this.in = in;
            this.trailer = new HashTrailer(probe);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n = in.read(bytes, offset, length);
            if (n > 0) {
                trailer.update(bytes, offset, n);
            } else if (n < 0 && verified == null) {
                verified = trailer.finish();
            }
            return n;
        }

        /** The verified facts, once the end was reached. */
        public Verified verified() {
            if (verified == null) {
                throw new IllegalStateException("the stream was not read to its end");
            }
            return verified;
        }

        public long bytesSeen() {
            return trailer.bytesSeen();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
