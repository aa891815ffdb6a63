package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * Corrupted and truncated copies of a real snapshot: every reader call ends in a
 * {@link SnapshotFormatException} or a result, never another exception, an error, or a hang.
 */
class CorruptSnapshotFuzzIT {

    private static final long SEED = 20261122L;
    private static final int ITERATIONS = 400;

    @TempDir
    Path dir;

    @Test
    void randomCorruptionNeverEscapesAsAnythingButAFormatError() throws Exception {
        Path original = EtcdFixture.loaded().snapshot;
        byte[] pristine = Files.readAllBytes(original);
        int pageSize = ByteBuffer.wrap(pristine).order(ByteOrder.LITTLE_ENDIAN).getInt(16 + 8);
        Path work = dir.resolve("work.db");
        Random random = new Random(SEED);
        int rejected = 0;
        for (int i = 0; i < ITERATIONS; i++) {
            Files.write(work, pristine);
            String mutation;
            try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
                switch (i % 4) {
                    case 0 -> {
                        int flips = 1 + random.nextInt(16);
                        for (int f = 0; f < flips; f++) {
                            long position = random.nextInt(pristine.length);
                            file.seek(position);
                            file.write(pristine[(int) position] ^ (1 + random.nextInt(255)));
                        }
                        mutation = flips + " random bytes changed";
                    }
                    case 1 -> {
                        int page = 2 + random.nextInt(pristine.length / pageSize - 2);
                        byte[] noise = new byte[16 + random.nextInt(64)];
                        random.nextBytes(noise);
                        file.seek((long) page * pageSize + random.nextInt(32));
                        file.write(noise);
                        mutation = "header of page " + page + " overwritten";
                    }
                    case 2 -> {
                        long length = random.nextInt(pristine.length);
                        file.setLength(length);
                        mutation = "truncated to " + length + " bytes";
                    }
                    default -> {
                        int page = 2 + random.nextInt(pristine.length / pageSize - 2);
                        byte[] noise = new byte[pageSize];
                        random.nextBytes(noise);
                        file.seek((long) page * pageSize);
                        file.write(noise);
                        mutation = "page " + page + " replaced with noise";
                    }
                }
            }
            if (exercise(work, "iteration " + i + " (" + mutation + ")")) {
                rejected++;
            }
        }
        assertTrue(rejected > ITERATIONS / 2, "most corruptions are detected: " + rejected + " of " + ITERATIONS);
    }

    /** Runs every reader entry point; true when the file was rejected with a format error. */
    private static boolean exercise(Path file, String what) {
        return assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
                snapshot.status();
                snapshot.forEachLive(new byte[0], kv -> { });
                snapshot.forEachHistory((revision, kv) -> { });
                snapshot.get("/registry/ns0/configmaps/cm-0".getBytes());
                snapshot.leases();
                snapshot.verify();
                return false;
            } catch (SnapshotFormatException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank() && !e.getMessage().contains("\n"), what);
                return true;
            } catch (Throwable t) {
                fail(what + ": escaped as " + t, t);
                return false;
            }
        }, what);
    }

    @Test
    void aCycleOfPagesIsReportedAsCorruption() throws Exception {
        Path work = copy();
        long branch = findPage(work, 0x01);
        try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
            file.seek(branch * pageSize(work) + 16 + 8);
            file.write(longLe(branch));
        }
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> statusOf(work));
        assertEquals(Problem.CORRUPT_PAGE, e.problem());
        assertTrue(e.getMessage().contains("referenced twice"), e.getMessage());
    }

    @Test
    void aPageIdBeyondTheFileIsReportedAsCorruption() throws Exception {
        Path work = copy();
        long branch = findPage(work, 0x01);
        try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
            file.seek(branch * pageSize(work) + 16 + 8);
            file.write(longLe(Long.MAX_VALUE / 2));
        }
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> statusOf(work));
        assertTrue(e.getMessage().contains("outside the database"), e.getMessage());
    }

    @Test
    void anAbsurdElementCountIsReportedAsCorruption() throws Exception {
        Path work = copy();
        long leaf = findPage(work, 0x02);
        try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
            file.seek(leaf * pageSize(work) + 10);
            file.write(new byte[] {(byte) 0xff, (byte) 0xff});
        }
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> statusOf(work));
        assertTrue(e.getMessage().contains("more than fit"), e.getMessage());
    }

    @Test
    void aWrongMagicIsABadMeta() throws Exception {
        Path work = copy();
        int pageSize = pageSize(work);
        try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
            file.seek(16);
            file.write(new byte[] {1, 2, 3, 4});
            file.seek(pageSize + 16);
            file.write(new byte[] {1, 2, 3, 4});
        }
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> statusOf(work));
        assertEquals(Problem.BAD_META, e.problem());
    }

    @Test
    void aCutFileIsTruncated() throws Exception {
        Path work = copy();
        try (RandomAccessFile file = new RandomAccessFile(work.toFile(), "rw")) {
            file.setLength(file.length() / 3 / 4096 * 4096);
        }
        SnapshotFormatException e = assertThrows(SnapshotFormatException.class, () -> statusOf(work));
        assertEquals(Problem.TRUNCATED, e.problem());
        assertTrue(e.getMessage().contains("cut short"), e.getMessage());
    }

    private Path copy() throws Exception {
        return Files.copy(EtcdFixture.loaded().snapshot, dir.resolve("copy.db"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static SnapshotStatus statusOf(Path file) {
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
            return snapshot.status();
        }
    }

    private static int pageSize(Path file) throws Exception {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            byte[] header = new byte[32];
            raf.readFully(header);
            return ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).getInt(24);
        }
    }

    /** The first page (after the metas) with these flags: 0x01 branch, 0x02 leaf. */
    private static long findPage(Path file, int flags) throws Exception {
        int pageSize = pageSize(file);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer all = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (long page = 2; (page + 1) * pageSize <= bytes.length; page++) {
            int offset = (int) (page * pageSize);
            if (all.getLong(offset) == page && (all.getShort(offset + 8) & 0xffff) == flags && all.getShort(offset + 10) > 1) {
                return page;
            }
        }
        throw new AssertionError("no page with flags " + flags);
    }

    private static byte[] longLe(long value) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }
}
