package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The member and cluster ids etcd wrote at the head of a data dir's write-ahead log ({@code member/wal/*.wal}): every WAL
 * file starts with a CRC record and a metadata record ({@code etcdserverpb.Metadata}: node id, cluster id). Each record is
 * an 8-byte little-endian length (the low 56 bits; the top byte's low 3 bits are padding when its high bit is set) and a
 * {@code walpb.Record} (type, crc, data). Read without etcd, before it starts: the cluster id says which incarnation of
 * the cluster the data dir belongs to (a REPLACE restore makes a new one).
 */
public record WalMetadata(long memberId, long clusterId) {

    private static final long METADATA_TYPE = 1;
    private static final int MAX_RECORD = 1 << 20;

    /** etcd's cluster id as the catalog and {@code etcdctl} print it (hex). */
    public String clusterIdHex() {
        return Long.toHexString(clusterId);
    }

    /** The ids in the data dir's first WAL file; empty when there is no WAL or it does not start as etcd writes one. */
    public static Optional<WalMetadata> read(Path dataDir) {
        Path wal = dataDir.resolve("member/wal");
        if (!Files.isDirectory(wal)) {
            return Optional.empty();
        }
        try (Stream<Path> files = Files.list(wal)) {
            Optional<Path> first = files.filter(f -> f.getFileName().toString().endsWith(".wal")).sorted().findFirst();
            if (first.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream in = Files.newInputStream(first.get())) {
                for (int i = 0; i < 4; i++) {
                    byte[] record = next(in);
                    if (record == null) {
                        return Optional.empty();
                    }
                    Optional<WalMetadata> metadata = metadata(record);
                    if (metadata.isPresent()) {
                        return metadata;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The next framed record's bytes (padding dropped), or null at the end or on a frame etcd would not write. */
    private static byte[] next(InputStream in) throws IOException {
        byte[] frame = in.readNBytes(8);
        if (frame.length < 8) {
            return null;
        }
        long field = ByteBuffer.wrap(frame).order(ByteOrder.LITTLE_ENDIAN).getLong();
        long length = field & 0x00FF_FFFF_FFFF_FFFFL;
        int padding = field < 0 ? (int) ((field >>> 56) & 0x7) : 0;
        if (length <= 0 || length > MAX_RECORD) {
            return null;
        }
        byte[] record = in.readNBytes((int) length);
        in.skipNBytes(padding);
        return record.length == length ? record : null;
    }

    /** A walpb.Record of the metadata type, decoded; empty for any other record. */
    static Optional<WalMetadata> metadata(byte[] record) {
        ByteBuffer buffer = ByteBuffer.wrap(record);
        long type = -1;
        byte[] data = null;
        while (buffer.hasRemaining()) {
            long tag = varint(buffer);
            switch ((int) tag) {
                case (1 << 3) -> type = varint(buffer);
                case (2 << 3) -> varint(buffer);
                case (3 << 3) | 2 -> {
                    data = new byte[(int) varint(buffer)];
                    buffer.get(data);
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
        if (type != METADATA_TYPE || data == null) {
            return Optional.empty();
        }
        ByteBuffer fields = ByteBuffer.wrap(data);
        long member = 0;
        long cluster = 0;
        while (fields.hasRemaining()) {
            long tag = varint(fields);
            if (tag == (1 << 3)) {
                member = varint(fields);
            } else if (tag == (2 << 3)) {
                cluster = varint(fields);
            } else {
                return Optional.empty();
            }
        }
        return cluster == 0 ? Optional.empty() : Optional.of(new WalMetadata(member, cluster));
    }

    private static long varint(ByteBuffer buffer) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = buffer.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint longer than 64 bits");
    }
}
