package dev.lifeboat.etcdsnapshot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeltaFileTest {

    private static final Instant T = Instant.parse("2026-12-01T10:00:00.123456Z");

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] sample() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaFile.Writer writer = new DeltaFile.Writer(out, new DeltaFile.Header("prod \"eu\"", "chain-1", 41));
        writer.write(DeltaEvent.put(42, utf8("/registry/a"), utf8("v1"), 42, 1, 0, 0, T));
        writer.write(DeltaEvent.put(42, utf8("/registry/ü"), new byte[] {0, (byte) 0xff, 10}, 30, 3, 7587, 60, T));
        writer.write(DeltaEvent.delete(43, utf8("/registry/a"), utf8("v1"), T.plusMillis(5)));
        writer.write(DeltaEvent.put(44, utf8("/registry/b"), new byte[0], 44, 1, 0, 0, T.plusMillis(9)));
        DeltaFile.Summary summary = writer.finish();
        assertEquals(new DeltaFile.Summary(42, 44, 4, 3), summary);
        assertEquals(out.size(), writer.bytes());
        return out.toByteArray();
    }

    @Test
    void roundTripsEveryFieldInOrder() throws IOException {
        try (DeltaFile.Reader reader = new DeltaFile.Reader(new ByteArrayInputStream(sample()))) {
            assertEquals(new DeltaFile.Header("prod \"eu\"", "chain-1", 41), reader.header());
            List<DeltaEvent> events = new ArrayList<>();
            DeltaFile.Summary summary = reader.readAll(events::add);
            assertEquals(new DeltaFile.Summary(42, 44, 4, 3), summary);
            assertEquals(4, events.size());
            DeltaEvent leased = events.get(1);
            assertEquals(DeltaEvent.Op.PUT, leased.op());
            assertEquals("/registry/ü", leased.keyUtf8());
            assertArrayEquals(new byte[] {0, (byte) 0xff, 10}, leased.value());
            assertEquals(30, leased.createRevision());
            assertEquals(3, leased.version());
            assertEquals(7587, leased.lease());
            assertEquals(60, leased.leaseTtl());
            assertEquals(T, leased.time());
            DeltaEvent deleted = events.get(2);
            assertEquals(DeltaEvent.Op.DELETE, deleted.op());
            assertEquals(43, deleted.revision());
            assertArrayEquals(utf8("v1"), deleted.prevValue());
            assertEquals(0, events.get(3).value().length);
            assertNull(reader.next(), "nothing after the trailer");
        }
    }

    @Test
    void isPlainJsonLines() throws IOException {
        String[] lines = new String(sample(), StandardCharsets.UTF_8).split("\n");
        assertEquals(6, lines.length);
        assertEquals("{\"format\":\"lifeboat-delta\",\"version\":1,\"cluster\":\"prod \\\"eu\\\"\",\"chain\":\"chain-1\",\"after\":41}", lines[0]);
        assertEquals("{\"rev\":42,\"op\":\"put\",\"key\":\"L3JlZ2lzdHJ5L2E=\",\"value\":\"djE=\",\"create\":42,\"ver\":1,\"lease\":0,"
                + "\"time\":\"2026-12-01T10:00:00.123456Z\"}", lines[1]);
        assertEquals("{\"end\":true,\"first\":42,\"last\":44,\"events\":4,\"revisions\":3}", lines[5]);
    }

    @Test
    void readsOneChangeAtItsOffset(@TempDir Path dir) throws IOException {
        Path file = Files.write(dir.resolve("d.delta"), sample());
        List<Long> offsets = new ArrayList<>();
        try (DeltaFile.Reader reader = DeltaFile.Reader.open(file)) {
            while (reader.next() != null) {
                offsets.add(reader.lastEventOffset());
            }
        }
        try (RandomAccessFile random = new RandomAccessFile(file.toFile(), "r")) {
            assertEquals("/registry/b", DeltaFile.eventAt(random, offsets.get(3)).keyUtf8());
            assertEquals(43, DeltaFile.eventAt(random, offsets.get(2)).revision());
            assertEquals(7587, DeltaFile.eventAt(random, offsets.get(1)).lease());
        }
    }

    @Test
    void theCommandLineChecksADeltaAndSaysWhatIsWrong(@TempDir Path dir) throws IOException {
        Path good = Files.write(dir.resolve("good.delta"), sample());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(SnapshotCli.OK, SnapshotCli.run(new String[] {"delta", good.toString()}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)));
        assertEquals("{\"cluster\":\"prod \\\"eu\\\"\",\"chain\":\"chain-1\",\"after\":41,\"first\":42,\"last\":44,\"events\":4,\"revisions\":3}",
                out.toString(StandardCharsets.UTF_8).strip());
        byte[] whole = sample();
        Path cut = Files.write(dir.resolve("cut.delta"), java.util.Arrays.copyOf(whole, whole.length - 20));
        assertEquals(SnapshotCli.INVALID, SnapshotCli.run(new String[] {"delta", cut.toString()}, new java.io.PrintStream(out, true),
                new java.io.PrintStream(err, true)));
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("snapshot-format: delta"), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void writerRefusesHolesAndAWrongStart() throws IOException {
        DeltaFile.Writer writer = new DeltaFile.Writer(new ByteArrayOutputStream(), new DeltaFile.Header("c", "k", 10));
        assertThrows(IllegalArgumentException.class, () -> writer.write(DeltaEvent.put(12, utf8("k"), utf8("v"), 12, 1, 0, 0, T)));
        writer.write(DeltaEvent.put(11, utf8("k"), utf8("v"), 11, 1, 0, 0, T));
        assertThrows(IllegalArgumentException.class, () -> writer.write(DeltaEvent.put(13, utf8("k"), utf8("v"), 11, 2, 0, 0, T)));
        assertThrows(IllegalArgumentException.class, () -> writer.write(DeltaEvent.put(10, utf8("k"), utf8("v"), 11, 2, 0, 0, T)));
        assertThrows(IllegalStateException.class,
                () -> new DeltaFile.Writer(new ByteArrayOutputStream(), new DeltaFile.Header("c", "k", 10)).finish());
    }

    @Test
    void aTruncatedDeltaIsRefusedNamingWhy() throws IOException {
        byte[] whole = sample();
        String text = new String(whole, StandardCharsets.UTF_8);
        byte[] withoutTrailer = text.substring(0, text.lastIndexOf("{\"end\"")).getBytes(StandardCharsets.UTF_8);
        SnapshotFormatException missing = assertThrows(SnapshotFormatException.class, () -> readAll(withoutTrailer));
        assertEquals(SnapshotFormatException.Problem.TRUNCATED, missing.problem());
        assertTrue(missing.getMessage().contains("truncated"), missing.getMessage());

        byte[] cutInALine = java.util.Arrays.copyOf(whole, text.indexOf("\"op\":\"delete\""));
        SnapshotFormatException cut = assertThrows(SnapshotFormatException.class, () -> readAll(cutInALine));
        assertEquals(SnapshotFormatException.Problem.BAD_DELTA, cut.problem());
    }

    @Test
    void aHoleOrAForgedTrailerIsRefused() throws IOException {
        String text = new String(sample(), StandardCharsets.UTF_8);
        String hole = text.replace("\"rev\":43", "\"rev\":45").replace("\"rev\":44", "\"rev\":46");
        SnapshotFormatException holeFound = assertThrows(SnapshotFormatException.class, () -> readAll(hole.getBytes(StandardCharsets.UTF_8)));
        assertTrue(holeFound.getMessage().contains("revision 45 follows revision 42"), holeFound.getMessage());

        String forged = text.replace("\"events\":4", "\"events\":5");
        SnapshotFormatException trailer = assertThrows(SnapshotFormatException.class, () -> readAll(forged.getBytes(StandardCharsets.UTF_8)));
        assertTrue(trailer.getMessage().contains("trailer states"), trailer.getMessage());

        String wrongStart = text.replace("\"after\":41", "\"after\":40");
        assertThrows(SnapshotFormatException.class, () -> readAll(wrongStart.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void somethingElseIsNotADelta() {
        SnapshotFormatException notDelta = assertThrows(SnapshotFormatException.class,
                () -> readAll("{\"format\":\"other\",\"version\":1}\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(notDelta.getMessage().contains("not a Lifeboat delta"), notDelta.getMessage());
        SnapshotFormatException newer = assertThrows(SnapshotFormatException.class,
                () -> readAll("{\"format\":\"lifeboat-delta\",\"version\":2}\n".getBytes(StandardCharsets.UTF_8)));
        assertTrue(newer.getMessage().contains("version 2"), newer.getMessage());
        assertThrows(SnapshotFormatException.class, () -> readAll(new byte[] {(byte) 0x28, (byte) 0xb5, (byte) 0x2f, (byte) 0xfd}));
        assertThrows(SnapshotFormatException.class, () -> readAll(new byte[0]));
    }

    private static void readAll(byte[] bytes) throws IOException {
        try (DeltaFile.Reader reader = new DeltaFile.Reader(new ByteArrayInputStream(bytes))) {
            reader.readAll(event -> {
            });
        }
    }
}
