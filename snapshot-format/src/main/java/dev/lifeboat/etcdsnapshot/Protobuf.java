package dev.lifeboat.etcdsnapshot;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * The few protobuf messages of etcd's buckets, decoded by hand (varints and length-delimited fields):
 * mvccpb.KeyValue {key=1, create_revision=2, mod_revision=3, version=4, value=5, lease=6} and
 * leasepb.Lease {ID=1, TTL=2, RemainingTTL=3}. Unknown fields are skipped when reading; writing leaves
 * out zero and empty fields, as etcd's encoder does, so a written entry has etcd's own bytes.
 */
final class Protobuf {

    private Protobuf() {
    }

    static KeyValue keyValue(ByteBuffer message) {
        ByteBuffer in = message.duplicate();
        byte[] key = new byte[0];
        byte[] value = new byte[0];
        long create = 0;
        long mod = 0;
        long version = 0;
        long lease = 0;
        while (in.hasRemaining()) {
            long tag = varint(in);
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (wire == 2) {
                byte[] bytes = bytes(in);
                if (field == 1) {
                    key = bytes;
                } else if (field == 5) {
                    value = bytes;
                }
            } else if (wire == 0) {
                long number = varint(in);
                switch (field) {
                    case 2 -> create = number;
                    case 3 -> mod = number;
                    case 4 -> version = number;
                    case 6 -> lease = number;
                    default -> { }
                }
            } else {
                skip(in, wire);
            }
        }
        return new KeyValue(key, value, create, mod, version, lease);
    }

    /** The key of a KeyValue message, without copying the value. */
    static ByteBuffer keyOf(ByteBuffer message) {
        ByteBuffer in = message.duplicate();
        while (in.hasRemaining()) {
            long tag = varint(in);
            int wire = (int) (tag & 7);
            if (wire == 2 && (tag >>> 3) == 1) {
                int length = length(in);
                return in.slice(in.position(), length);
            }
            skip(in, wire);
        }
        return ByteBuffer.allocate(0);
    }

    /** A lease: {id, ttl, remainingTtl}. */
    static long[] lease(ByteBuffer message) {
        ByteBuffer in = message.duplicate();
        long[] lease = new long[3];
        while (in.hasRemaining()) {
            long tag = varint(in);
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (wire == 0 && field >= 1 && field <= 3) {
                lease[field - 1] = varint(in);
            } else {
                skip(in, wire);
            }
        }
        return lease;
    }

    /** mvccpb.KeyValue as etcd (gogo protobuf) encodes it: fields in number order, zero and empty ones left out. */
    static byte[] encodeKeyValue(byte[] key, long createRevision, long modRevision, long version, byte[] value, long lease) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(key.length + value.length + 40);
        bytesField(out, 1, key);
        varintField(out, 2, createRevision);
        varintField(out, 3, modRevision);
        varintField(out, 4, version);
        bytesField(out, 5, value);
        varintField(out, 6, lease);
        return out.toByteArray();
    }

    /** leasepb.Lease {ID, TTL}, as etcd's lessor stores a lease. */
    static byte[] encodeLease(long id, long ttl) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(24);
        varintField(out, 1, id);
        varintField(out, 2, ttl);
        return out.toByteArray();
    }

    private static void bytesField(ByteArrayOutputStream out, int field, byte[] bytes) {
        if (bytes.length > 0) {
            writeVarint(out, (long) field << 3 | 2);
            writeVarint(out, bytes.length);
            out.write(bytes, 0, bytes.length);
        }
    }

    private static void varintField(ByteArrayOutputStream out, int field, long number) {
        if (number != 0) {
            writeVarint(out, (long) field << 3);
            writeVarint(out, number);
        }
    }

    private static void writeVarint(ByteArrayOutputStream out, long number) {
        long rest = number;
        while ((rest & ~0x7fL) != 0) {
            out.write((int) (rest & 0x7f) | 0x80);
            rest >>>= 7;
        }
        out.write((int) rest);
    }

    private static void skip(ByteBuffer in, int wire) {
        switch (wire) {
            case 0 -> varint(in);
            case 1 -> advance(in, 8);
            case 2 -> advance(in, length(in));
            case 5 -> advance(in, 4);
            default -> throw bad("wire type " + wire);
        }
    }

    private static byte[] bytes(ByteBuffer in) {
        byte[] bytes = new byte[length(in)];
        in.get(bytes);
        return bytes;
    }

    private static int length(ByteBuffer in) {
        long length = varint(in);
        if (length < 0 || length > in.remaining()) {
            throw bad("a field of " + length + " bytes in a message with " + in.remaining() + " left");
        }
        return (int) length;
    }

    private static void advance(ByteBuffer in, int n) {
        if (n > in.remaining()) {
            throw bad("a field runs past the end of its message");
        }
        in.position(in.position() + n);
    }

    private static long varint(ByteBuffer in) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (!in.hasRemaining()) {
                throw bad("a varint runs past the end of its message");
            }
            byte b = in.get();
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw bad("a varint longer than 10 bytes");
    }

    private static SnapshotFormatException bad(String what) {
        return new SnapshotFormatException(Problem.CORRUPT_PAGE, "corrupted page: a stored key-value is not valid protobuf: " + what);
    }
}
