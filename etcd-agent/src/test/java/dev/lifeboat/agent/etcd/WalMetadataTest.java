package dev.lifeboat.agent.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAL head as etcd frames it (a CRC record, then the metadata record, padded to 8 bytes); etcd's own WAL is read in EtcdAgentCases. */
class WalMetadataTest {

    @TempDir
    Path dataDir;

    @Test
    void readsTheIdsFromTheMetadataRecordAfterTheCrcRecord() throws Exception {
        long member = 0x8e9e05c52164694dL;
        long cluster = 0xcdf818194e3a8c32L;
        ByteArrayOutputStream wal = new ByteArrayOutputStream();
        frame(wal, record(4, 0x1234, null));
        ByteArrayOutputStream metadata = new ByteArrayOutputStream();
        metadata.write(0x08);
        varint(metadata, member);
        metadata.write(0x10);
        varint(metadata, cluster);
        frame(wal, record(1, 0x5678, metadata.toByteArray()));
        write(wal.toByteArray(), new byte[64 * 1024]);

        WalMetadata read = WalMetadata.read(dataDir).orElseThrow();
        assertEquals(member, read.memberId());
        assertEquals(cluster, read.clusterId());
        assertEquals("cdf818194e3a8c32", read.clusterIdHex());
    }

    @Test
    void aWalThatDoesNotStartAsEtcdWritesOneNamesNoCluster() throws Exception {
        assertTrue(WalMetadata.read(dataDir).isEmpty(), "no WAL dir");
        write(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 1, 2, 3});
        assertTrue(WalMetadata.read(dataDir).isEmpty(), "a frame longer than any record");
        write(new byte[4096]);
        assertTrue(WalMetadata.read(dataDir).isEmpty(), "zeros (a preallocated file never written)");
    }

    private void write(byte[]... parts) throws Exception {
        Path wal = Files.createDirectories(dataDir.resolve("member/wal"));
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.write(part);
        }
        Files.write(wal.resolve("0000000000000000-0000000000000000.wal"), all.toByteArray());
    }

    private static byte[] record(long type, long crc, byte[] data) {
        ByteArrayOutputStream record = new ByteArrayOutputStream();
        record.write(0x08);
        varint(record, type);
        record.write(0x10);
        varint(record, crc);
        if (data != null) {
            record.write(0x1a);
            varint(record, data.length);
            record.writeBytes(data);
        }
        return record.toByteArray();
    }

    /** etcd's framing: the length, with the padding to 8 bytes in the top byte (high bit set) when there is any. */
    private static void frame(ByteArrayOutputStream out, byte[] record) {
        int padding = (8 - record.length % 8) % 8;
        long field = record.length;
        if (padding > 0) {
            field |= (0x80L | padding) << 56;
        }
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(field).array());
        out.writeBytes(record);
        out.writeBytes(new byte[padding]);
    }

    private static void varint(ByteArrayOutputStream out, long value) {
        while ((value & ~0x7FL) != 0) {
            out.write((int) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        out.write((int) value);
    }
}
