package dev.lifeboat.etcdsnapshot;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * Writes the etcd snapshot of a keyspace at a later revision: a full snapshot plus the changes of the
 * revisions after it, up to a target, written straight into a new bbolt file — the file etcd itself
 * would have written had it applied the changes (one transaction per revision), so {@code etcdctl
 * snapshot restore} and a starting etcd take it as any snapshot, and etcd's {@code HashKV} of the two
 * agrees.
 *
 * <p>What is written: every bucket of the snapshot as it is; in {@code key}, after the snapshot's
 * entries, one entry per change — a put as mvccpb.KeyValue at (revision, sub revision), a delete as a
 * tombstone (the revision with a trailing 't', the key alone) — sub revisions counting the changes of
 * one revision in order; in {@code lease}, the leases the changes attach keys to that the snapshot does
 * not hold, with the TTL the capture saw (an hour when it saw none). Then etcd's SHA-256 trailer.
 *
 * <p>The changes must continue the snapshot revision by revision (changes at or below its revision are
 * skipped, a missing revision is a {@link Problem#BAD_DELTA}) and must reach the target. Memory holds
 * one page of entries and the first key of every page written, whatever the snapshot's size.
 */
public final class SnapshotReplay {

    /** A lease the changes name without a recorded TTL gets this one: long enough for its owner to renew it. */
    static final long UNKNOWN_LEASE_TTL = 3600;

    private static final byte[] KEY = ascii("key");
    private static final byte[] LEASE = ascii("lease");

    private SnapshotReplay() {
    }

    /** The changes in revision order; null when there are no more. */
    @FunctionalInterface
    public interface Changes {
        DeltaEvent next() throws IOException;
    }

    /**
     * What was written.
     *
     * @param baseRevision the snapshot's store revision
     * @param revision     the revision of the result: the target
     * @param revisions    revisions added
     * @param changes      changes added
     * @param dbSize       bytes of the bbolt db (the file has 32 more: the trailer)
     * @param sha256       of the db, as in the trailer
     */
    public record Result(long baseRevision, long revision, long revisions, long changes, long dbSize, String sha256) {
    }

    /**
     * Writes {@code out}: the snapshot {@code base} with the changes up to {@code toRevision} applied.
     * The base is not verified here ({@link EtcdSnapshot#verify()} does that); on failure {@code out}
     * is removed.
     */
    public static Result write(Path base, long toRevision, Changes changes, Path out) {
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(base)) {
            Result result;
            try (BoltWriter writer = new BoltWriter(out, snapshot.bolt().meta().pageSize())) {
                result = copyAndApply(snapshot, toRevision, changes, writer);
            }
            String sha256 = appendTrailer(out, result.dbSize());
            return new Result(result.baseRevision(), result.revision(), result.revisions(), result.changes(), result.dbSize(), sha256);
        } catch (IOException e) {
            deleteQuietly(out);
            throw new SnapshotFormatException(Problem.UNREADABLE, "cannot read the changes: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(out);
            throw e;
        }
    }

    private static Result copyAndApply(EtcdSnapshot snapshot, long toRevision, Changes changes, BoltWriter writer) throws IOException {
        BoltFile bolt = snapshot.bolt();
        Map<byte[], ByteBuffer> buckets = new TreeMap<>(Arrays::compareUnsigned);
        bolt.forEachBucket((name, header) -> buckets.put(bytes(name), header));
        if (buckets.keySet().stream().noneMatch(name -> Arrays.equals(name, KEY))) {
            throw new SnapshotFormatException(Problem.NOT_ETCD, "not an etcd snapshot: bucket 'key' is missing");
        }
        buckets.putIfAbsent(LEASE, null);
        Set<Long> knownLeases = new HashSet<>();
        snapshot.leases().forEach(lease -> knownLeases.add(lease.id()));
        Map<Long, Long> newLeases = new TreeMap<>();
        long baseRevision = 0;
        Applied applied = null;
        for (Map.Entry<byte[], ByteBuffer> bucket : buckets.entrySet()) {
            byte[] name = bucket.getKey();
            ByteBuffer header = bucket.getValue();
            writer.beginBucket(name, header == null ? 0 : header.getLong(header.position() + 8));
            boolean keys = Arrays.equals(name, KEY);
            boolean leases = Arrays.equals(name, LEASE);
            long[] lastRevision = {0};
            Map<byte[], byte[]> leaseEntries = new TreeMap<>(Arrays::compareUnsigned);
            if (header != null) {
                bolt.forEachInBucket(header, BoltFile.printable(ByteBuffer.wrap(name)), (key, value) -> {
                    if (value == null) {
                        throw new SnapshotFormatException(Problem.NOT_ETCD, "bucket '" + BoltFile.printable(ByteBuffer.wrap(name))
                                + "' holds a nested bucket: not etcd's schema");
                    }
                    if (keys) {
                        lastRevision[0] = Revision.parse(key).main();
                    }
                    if (leases) {
                        leaseEntries.put(bytes(key), bytes(value));
                    } else {
                        writer.put(bytes(key), bytes(value));
                    }
                });
            }
            if (keys) {
                baseRevision = EtcdSnapshot.storeRevision(lastRevision[0], snapshot.compactRevision());
                if (toRevision < baseRevision) {
                    throw new SnapshotFormatException(Problem.BAD_DELTA, "the target revision " + toRevision + " is before the snapshot's revision "
                            + baseRevision);
                }
                applied = apply(baseRevision, toRevision, changes, writer, knownLeases, newLeases);
            } else if (leases) {
                newLeases.forEach((id, ttl) -> leaseEntries.putIfAbsent(ByteBuffer.allocate(8).putLong(0, id).array(), Protobuf.encodeLease(id, ttl)));
                leaseEntries.forEach(writer::put);
            }
            writer.endBucket();
        }
        long dbSize = writer.finish();
        return new Result(baseRevision, applied.revision, applied.revisions, applied.changes, dbSize, null);
    }

    private static final class Applied {
        long revision;
        long revisions;
        long changes;
    }

    private static Applied apply(long baseRevision, long toRevision, Changes changes, BoltWriter writer, Set<Long> knownLeases,
            Map<Long, Long> newLeases) throws IOException {
        Applied applied = new Applied();
        applied.revision = baseRevision;
        long sub = 0;
        DeltaEvent change;
        while ((change = changes.next()) != null) {
            long revision = change.revision();
            if (revision <= baseRevision) {
                continue;
            }
            if (revision > toRevision) {
                break;
            }
            if (revision == applied.revision && applied.revisions > 0) {
                sub++;
            } else if (revision == applied.revision + 1) {
                applied.revision = revision;
                applied.revisions++;
                sub = 0;
            } else {
                throw new SnapshotFormatException(Problem.BAD_DELTA, "the changes go from revision " + applied.revision + " to revision "
                        + revision + ": " + (revision < applied.revision ? "out of order" : "the chain has a gap"));
            }
            boolean delete = change.op() == DeltaEvent.Op.DELETE;
            byte[] key = new byte[delete ? Revision.SIZE + 1 : Revision.SIZE];
            ByteBuffer.wrap(key).putLong(revision).put((byte) '_').putLong(sub);
            if (delete) {
                key[Revision.SIZE] = 't';
                writer.put(key, Protobuf.encodeKeyValue(change.key(), 0, 0, 0, new byte[0], 0));
            } else {
                writer.put(key, Protobuf.encodeKeyValue(change.key(), change.createRevision(), revision, change.version(), change.value(),
                        change.lease()));
                if (change.lease() != 0 && !knownLeases.contains(change.lease())) {
                    newLeases.putIfAbsent(change.lease(), change.leaseTtl() > 0 ? change.leaseTtl() : UNKNOWN_LEASE_TTL);
                }
            }
            applied.changes++;
        }
        if (applied.revision != toRevision) {
            throw new SnapshotFormatException(Problem.BAD_DELTA, "the changes end at revision " + applied.revision + ", before the target revision "
                    + toRevision + ": they do not cover it");
        }
        return applied;
    }

    /** Hashes the db just written and appends the digest, as etcd's snapshot stream ends. */
    private static String appendTrailer(Path out, long dbSize) throws IOException {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (FileChannel channel = FileChannel.open(out, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() != dbSize) {
                throw new SnapshotFormatException(Problem.TRUNCATED, "the written db has " + channel.size() + " bytes, not " + dbSize);
            }
            InputStream in = Channels.newInputStream(channel.position(0));
            byte[] buffer = new byte[1 << 20];
            long left = dbSize;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new SnapshotFormatException(Problem.TRUNCATED, "the written db ended early");
                }
                sha256.update(buffer, 0, n);
                left -= n;
            }
            byte[] digest = sha256.digest();
            ByteBuffer trailer = ByteBuffer.wrap(digest);
            while (trailer.hasRemaining()) {
                channel.write(trailer, dbSize + trailer.position());
            }
            return HexFormat.of().formatHex(digest);
        }
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the original failure is the one worth reporting
        }
    }

    /**
     * The changes of delta files, read one after the other: {@code files} gives the i-th file when it
     * is needed (null after the last), {@code usedUp} is told when one is read through (or on close).
     */
    public static final class DeltaSequence implements Changes, Closeable {

        /** The i-th delta file, fetched if need be; null when there are no more. */
        @FunctionalInterface
        public interface Files {
            Path file(int index) throws IOException;
        }

        private final Files files;
        private final Consumer<Path> usedUp;
        private int next;
        private DeltaFile.Reader reader;
        private Path file;

        public DeltaSequence(Files files, Consumer<Path> usedUp) {
            this.files = files;
            this.usedUp = usedUp;
        }

        @Override
        public DeltaEvent next() throws IOException {
            while (true) {
                if (reader != null) {
                    DeltaEvent event = reader.next();
                    if (event != null) {
                        return event;
                    }
                    close();
                }
                file = files.file(next++);
                if (file == null) {
                    return null;
                }
                reader = DeltaFile.Reader.open(file);
            }
        }

        @Override
        public void close() throws IOException {
            if (reader != null) {
                reader.close();
                reader = null;
            }
            if (file != null) {
                usedUp.accept(file);
                file = null;
            }
        }
    }
}
