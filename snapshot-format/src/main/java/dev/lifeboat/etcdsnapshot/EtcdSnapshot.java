package dev.lifeboat.etcdsnapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * An etcd snapshot file (a bbolt db, optionally followed by etcd's SHA-256 trailer), read without etcd.
 *
 * <p>etcd's schema: bucket {@code key} maps revisions ({@link Revision}) to mvccpb.KeyValue messages,
 * in revision order; bucket {@code meta} holds the consistent index and the compaction revisions;
 * bucket {@code lease} maps 8-byte lease ids to leasepb.Lease messages.
 *
 * <p>Every method streams over memory-mapped pages; the heap holds one entry at a time, plus 12 bytes a
 * distinct key for the methods that resolve live keys ({@link LiveKeyIndex}).
 */
public final class EtcdSnapshot implements Closeable {

    private static final ByteBuffer KEY_BUCKET = ByteBuffer.wrap("key".getBytes(StandardCharsets.US_ASCII));

    private final Path file;
    private final boolean hashTrailer;
    private final BoltFile bolt;

    private EtcdSnapshot(Path file, boolean hashTrailer, BoltFile bolt) {
        this.file = file;
        this.hashTrailer = hashTrailer;
        this.bolt = bolt;
    }

    /** Opens a snapshot file; its trailer (if any) is checked by {@link #verify()}, not here. */
    public static EtcdSnapshot open(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new SnapshotFormatException(Problem.UNREADABLE, "no such file: " + file);
        } catch (IOException e) {
            throw new SnapshotFormatException(Problem.UNREADABLE, "cannot read " + file + ": " + e.getMessage(), e);
        }
        boolean trailer = HashTrailer.present(size);
        return new EtcdSnapshot(file, trailer, BoltFile.open(file, trailer ? size - HashTrailer.SIZE : size));
    }

    /** Whether the file ends with etcd's SHA-256 trailer (a snapshot stream; a copied db file has none). */
    public boolean hasHashTrailer() {
        return hashTrailer;
    }

    /** The figures of {@code etcdctl snapshot status}, plus the live key count; one pass over the file. */
    public SnapshotStatus status() {
        CRC32C crc = new CRC32C();
        LiveKeyIndex live = new LiveKeyIndex();
        long[] totals = new long[2];
        bolt.forEachBucket((name, header) -> {
            crc.update(name.duplicate());
            boolean keyBucket = name.equals(KEY_BUCKET);
            bolt.forEachInBucket(header, BoltFile.printable(name), (key, value) -> {
                crc.update(key.duplicate());
                if (value != null) {
                    crc.update(value.duplicate());
                }
                if (keyBucket) {
                    Revision revision = Revision.parse(key);
                    totals[1] = revision.main();
                    if (!isRevisionMarker(value(value))) {
                        live.put(Protobuf.keyOf(value), ordinal(totals[0]), revision.tombstone());
                    }
                }
                totals[0]++;
            });
        });
        return new SnapshotStatus(crc.getValue(), totals[1], totals[0], bolt.totalSize(), live.liveCount());
    }

    /**
     * Checks everything a restore relies on: the SHA-256 trailer exists and matches, every page of every
     * bucket is consistent, every stored key-value decodes, and the {@code key} and {@code meta} buckets
     * exist.
     *
     * @return the status, computed on the way
     * @throws SnapshotFormatException naming the first problem found
     */
    public SnapshotStatus verify() {
        HashTrailer.verify(file);
        SnapshotStatus status = status();
        requireBucket("key");
        requireBucket("meta");
        forEachHistory((revision, kv) -> { });
        return status;
    }

    /**
     * Checks a member's database (a data dir's {@code member/snap/db}, which has no trailer) as {@link #verify()} checks a
     * snapshot, without the trailer: every page of every bucket is consistent, every stored key-value decodes, and the
     * {@code key} and {@code meta} buckets exist.
     *
     * @throws SnapshotFormatException naming the first problem found
     */
    public SnapshotStatus checkDatabase() {
        SnapshotStatus status = status();
        requireBucket("key");
        requireBucket("meta");
        forEachHistory((revision, kv) -> { });
        return status;
    }

    private void requireBucket(String name) {
        if (!bolt.forEachInBucket(name, (key, value) -> { })) {
            throw new SnapshotFormatException(Problem.NOT_ETCD, "not an etcd snapshot: bucket '" + name + "' is missing");
        }
    }

    /** Receives the key bucket in revision order. */
    public interface HistoryVisitor {
        void entry(Revision revision, KeyValue kv);
    }

    /** Every stored version of every key, deletions included, in revision order. */
    public void forEachHistory(HistoryVisitor visitor) {
        keyBucket((key, value) -> visitor.entry(Revision.parse(key), Protobuf.keyValue(value(value))));
    }

    /**
     * The live key-values at the snapshot's revision — the newest version of each key that was not
     * deleted — whose key starts with {@code prefix} (empty for all), in the order they were written.
     */
    public void forEachLive(byte[] prefix, Consumer<KeyValue> consumer) {
        ByteBuffer wanted = ByteBuffer.wrap(prefix);
        LiveKeyIndex index = new LiveKeyIndex();
        int[] ordinal = {0};
        keyBucket((key, value) -> {
            ByteBuffer userKey = Protobuf.keyOf(value(value));
            if (startsWith(userKey, wanted)) {
                index.put(userKey, ordinal[0], Revision.parse(key).tombstone());
            }
            ordinal[0] = ordinal(ordinal[0] + 1L);
        });
        ordinal[0] = 0;
        keyBucket((key, value) -> {
            ByteBuffer userKey = Protobuf.keyOf(value(value));
            if (startsWith(userKey, wanted) && index.isLatestLive(userKey, ordinal[0])) {
                consumer.accept(Protobuf.keyValue(value));
            }
            ordinal[0]++;
        });
    }

    /** The live value of one key at the snapshot's revision. */
    public Optional<KeyValue> get(byte[] key) {
        ByteBuffer wanted = ByteBuffer.wrap(key);
        KeyValue[] latest = new KeyValue[1];
        keyBucket((revisionKey, value) -> {
            if (Protobuf.keyOf(value(value)).equals(wanted)) {
                latest[0] = Revision.parse(revisionKey).tombstone() ? null : Protobuf.keyValue(value);
            }
        });
        return Optional.ofNullable(latest[0]);
    }

    /** The consistent index stored in the meta bucket (0 when absent). */
    public long consistentIndex() {
        long[] index = {0};
        bolt.forEachInBucket("meta", (key, value) -> {
            if (value != null && key.equals(ascii("consistent_index")) && value.remaining() == 8) {
                index[0] = value.order(java.nio.ByteOrder.BIG_ENDIAN).getLong(value.position());
            }
        });
        return index[0];
    }

    /** The revision of the last finished compaction (0 when the cluster was never compacted). */
    public long compactRevision() {
        long[] revision = {0};
        bolt.forEachInBucket("meta", (key, value) -> {
            if (value != null && key.equals(ascii("finishedCompactRev"))) {
                revision[0] = Revision.parse(value).main();
            }
        });
        return revision[0];
    }

    /**
     * The store's revision when the snapshot was taken: the newest revision in the key bucket, or the
     * compaction revision when that is higher (a compaction can remove the newest entries' tombstones).
     * This is the revision etcd resumes from after a restore; an empty store is at revision 1, as etcd
     * counts it (its first change is revision 2).
     */
    public long storeRevision(SnapshotStatus status) {
        return storeRevision(status.revision(), compactRevision());
    }

    static long storeRevision(long lastKeyRevision, long compactRevision) {
        return Math.max(1, Math.max(lastKeyRevision, compactRevision));
    }

    /** A lease: id, granted TTL and remaining TTL in seconds (remaining is 0 when etcd did not store it). */
    public record Lease(long id, long ttl, long remainingTtl) {
    }

    public List<Lease> leases() {
        List<Lease> leases = new ArrayList<>();
        bolt.forEachInBucket("lease", (key, value) -> {
            if (value != null) {
                long[] lease = Protobuf.lease(value);
                leases.add(new Lease(lease[0], lease[1], lease[2]));
            }
        });
        return leases;
    }

    /**
     * The key bucket's entries that hold a key-value, in revision order. Skipped: the empty entries
     * {@code etcdutl snapshot restore --bump-revision} writes to move the store's revision (no key; etcd
     * serves nothing for them), which still count in {@link #status()}'s revision and total.
     */
    private void keyBucket(BoltFile.EntryVisitor visitor) {
        BoltFile.EntryVisitor keyValues = (key, value) -> {
            if (!isRevisionMarker(value(value))) {
                visitor.entry(key, value);
            }
        };
        if (!bolt.forEachInBucket("key", keyValues)) {
            throw new SnapshotFormatException(Problem.NOT_ETCD, "not an etcd snapshot: bucket 'key' is missing");
        }
    }

    /** An entry without a key-value: etcdutl's revision bump marker (an empty value). */
    private static boolean isRevisionMarker(ByteBuffer value) {
        return !value.hasRemaining();
    }

    private static ByteBuffer value(ByteBuffer value) {
        if (value == null) {
            throw new SnapshotFormatException(Problem.CORRUPT_PAGE, "corrupted page: etcd's key bucket holds a nested bucket");
        }
        return value;
    }

    private static int ordinal(long ordinal) {
        if (ordinal > Integer.MAX_VALUE) {
            throw new SnapshotFormatException(Problem.CORRUPT_PAGE, "more than 2^31 entries in the key bucket");
        }
        return (int) ordinal;
    }

    private static boolean startsWith(ByteBuffer key, ByteBuffer prefix) {
        return key.remaining() >= prefix.remaining()
                && key.slice(key.position(), prefix.remaining()).equals(prefix);
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    BoltFile bolt() {
        return bolt;
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        bolt.close();
    }
}
