package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

class HashTrailerTest {

    @TempDir
    Path dir;

    private static byte[] withTrailer(byte[] db) throws Exception {
        byte[] all = new byte[db.length + 32];
        System.arraycopy(db, 0, all, 0, db.length);
        System.arraycopy(MessageDigest.getInstance("SHA-256").digest(db), 0, all, db.length, 32);
        return all;
    }

    @Test
    void verifiesWhateverTheChunkSizes() throws Exception {
        byte[] db = new byte[8192];
        new Random(7).nextBytes(db);
        byte[] stream = withTrailer(db);
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(db));
        for (int chunk : new int[] {1, 3, 31, 32, 33, 512, 4096, 100_000}) {
            HashTrailer trailer = new HashTrailer();
            for (int offset = 0; offset < stream.length; offset += chunk) {
                trailer.update(stream, offset, Math.min(chunk, stream.length - offset));
            }
            HashTrailer.Verified verified = trailer.finish();
            assertEquals(8192, verified.dbSize(), "chunk " + chunk);
            assertEquals(expected, verified.sha256(), "chunk " + chunk);
        }
    }

    @Test
    void aFlippedByteIsAMismatch() throws Exception {
        byte[] stream = withTrailer(new byte[4096]);
        stream[100] ^= 1;
        Path file = Files.write(dir.resolve("flipped.db"), stream);
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> HashTrailer.verify(file));
        assertEquals(Problem.HASH_MISMATCH, e.problem());
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
    }

    @Test
    void aDbWithoutTrailerIsMissingItsHash() throws Exception {
        Path file = Files.write(dir.resolve("copied.db"), new byte[4096]);
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> HashTrailer.verify(file));
        assertEquals(Problem.MISSING_HASH, e.problem());
    }

    @Test
    void theStreamWrapperPassesBytesThroughAndFailsAtTheEndOfACorruptStream() throws Exception {
        byte[] stream = withTrailer(new byte[4096]);
        try (HashTrailer.VerifyingInputStream in = new HashTrailer.VerifyingInputStream(new ByteArrayInputStream(stream))) {
            assertArrayEquals(stream, in.readAllBytes());
            assertEquals(4096, in.verified().dbSize());
        }
        stream[5000 - 1000] ^= 0x40;
        InputStream corrupt = new HashTrailer.VerifyingInputStream(new ByteArrayInputStream(stream));
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, corrupt::readAllBytes);
        assertEquals(Problem.HASH_MISMATCH, e.problem());
    }
}
