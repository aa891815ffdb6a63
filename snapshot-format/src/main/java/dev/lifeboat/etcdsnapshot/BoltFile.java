package dev.lifeboat.etcdsnapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.BitSet;
import java.util.Deque;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * A read-only bbolt database file, read through memory maps: the file is never loaded onto the heap.
 *
 * <p>Layout (all integers little-endian): pages of {@code pageSize} bytes; page 0 and 1 are meta pages,
 * the valid one with the higher transaction id wins. A page starts with a 16-byte header (id u64,
 * flags u16, count u16, overflow u32) and spans {@code 1 + overflow} pages. Branch elements (16 bytes:
 * pos u32, ksize u32, child pgid u64) and leaf elements (16 bytes: flags u32, pos u32, ksize u32,
 * vsize u32) follow the header; {@code pos} counts from the element itself. A leaf element with flag 1
 * is a nested bucket whose value starts with a 16-byte header (root pgid u64, sequence u64); root 0
 * means the bucket's only page is inline, right after that header.
 *
 * <p>Every read is bounds-checked and every walk keeps a set of visited pages, so a corrupt file ends
 * in a {@link SnapshotFormatException}, never a loop, an overflow of the stack or of the heap.
 */
final class BoltFile implements Closeable {

    static final int MAGIC = 0xED0CDAED;
    static final int VERSION = 2;
    private static final int PAGE_HEADER = 16;
    private static final int ELEMENT = 16;
    private static final int BUCKET_HEADER = 16;
    private static final int META_CHECKSUMMED = 56;
    private static final int BRANCH = 0x01;
    private static final int LEAF = 0x02;
    private static final int BUCKET_FLAG = 0x01;
    private static final int MAX_DEPTH = 64;
    private static final long SEGMENT = 1L << 30;

    /** The chosen meta page. */
    record Meta(int pageSize, long rootPgid, long freelistPgid, long highWater, long txid) {
    }

    /** Receives the entries of a bucket in key order; buffers are only valid during the call. */
    interface EntryVisitor {

        /**
         * @param key   the key bytes
         * @param value the value bytes, or null when the entry is a nested bucket
         */
        void entry(ByteBuffer key, ByteBuffer value);
    }

    private final FileChannel channel;
    private final long size;
    private final MappedByteBuffer[] segments;
    private final Meta meta;

    private BoltFile(FileChannel channel, long size) throws IOException {
        this.channel = channel;
        this.size = size;
        int count = (int) ((size + SEGMENT - 1) / SEGMENT);
        this.segments = new MappedByteBuffer[count];
        for (int i = 0; i < count; i++) {
            long start = i * SEGMENT;
            segments[i] = channel.map(FileChannel.MapMode.READ_ONLY, start, Math.min(SEGMENT, size - start));
        }
        this.meta = chooseMeta();
    }

    /**
     * Opens {@code file}, of which the first {@code dbSize} bytes are the database (a trailer after
     * them is not read here).
     */
    static BoltFile open(Path file, long dbSize) {
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
            return new BoltFile(channel, dbSize);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new SnapshotFormatException(Problem.UNREADABLE, "cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // the original failure is the one worth reporting
            }
        }
    }

    Meta meta() {
        return meta;
    }

    /** The database size as bbolt (and etcdctl) report it: high-water page id × page size. */
    long totalSize() {
        return meta.highWater() * meta.pageSize();
    }

    private Meta chooseMeta() {
        if (size < 2L * PAGE_HEADER + 128) {
            throw new SnapshotFormatException(Problem.TRUNCATED, "the file is too short to be a bbolt database (" + size + " bytes)");
        }
        Meta first = readMeta(0);
        int pageSize = first != null ? first.pageSize() : 4096;
        Meta second = size >= 2L * pageSize ? readMeta(pageSize) : null;
        Meta chosen;
        if (first != null && second != null) {
            chosen = second.txid() > first.txid() ? second : first;
        } else if (first != null || second != null) {
            chosen = first != null ? first : second;
        } else {
            throw new SnapshotFormatException(Problem.BAD_META, "no valid meta page (wrong magic, version or checksum): not a bbolt database, or corrupted");
        }
        if (chosen.highWater() < 2 || chosen.highWater() * chosen.pageSize() > size) {
            throw new SnapshotFormatException(Problem.TRUNCATED, "the database claims " + chosen.highWater() + " pages of "
                    + chosen.pageSize() + " bytes but the file holds " + size + " bytes: it was cut short");
        }
        return chosen;
    }

    private Meta readMeta(long offset) {
        ByteBuffer page = slice(offset, PAGE_HEADER + 64);
        ByteBuffer m = page.position(PAGE_HEADER).slice().order(ByteOrder.LITTLE_ENDIAN);
        if (m.getInt(0) != MAGIC || m.getInt(4) != VERSION) {
            return null;
        }
        long checksum = fnv1a64(m, META_CHECKSUMMED);
        if (checksum != m.getLong(56)) {
            return null;
        }
        int pageSize = m.getInt(8);
        if (pageSize < 512 || pageSize > (1 << 20) || Integer.bitCount(pageSize) != 1) {
            return null;
        }
        return new Meta(pageSize, m.getLong(16), m.getLong(32), m.getLong(40), m.getLong(48));
    }

    /** bbolt's meta page checksum: FNV-1a 64 of the first {@code length} bytes (read here, written by {@link BoltWriter}). */
    static long fnv1a64(ByteBuffer bytes, int length) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < length; i++) {
            hash ^= bytes.get(i) & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    /** A little-endian view of {@code length} bytes at {@code offset}; copies only across map segments. */
    private ByteBuffer slice(long offset, int length) {
        if (offset < 0 || length < 0 || offset + length > size) {
            throw new SnapshotFormatException(Problem.TRUNCATED, "the file ends at byte " + size + " but a page reaches byte "
                    + (offset + length) + ": it was cut short");
        }
        int index = (int) (offset / SEGMENT);
        int inSegment = (int) (offset % SEGMENT);
        if (inSegment + (long) length <= segments[index].limit()) {
            return segments[index].slice(inSegment, length).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer copy = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        long position = offset;
        while (copy.hasRemaining()) {
            int segment = (int) (position / SEGMENT);
            int from = (int) (position % SEGMENT);
            int n = Math.min(copy.remaining(), segments[segment].limit() - from);
            copy.put(segments[segment].slice(from, n));
            position += n;
        }
        return copy.flip();
    }

    /** The whole page {@code pgid}, overflow included, after checking its header. */
    private ByteBuffer page(long pgid) {
        if (pgid < 2 || pgid >= meta.highWater()) {
            throw corrupt("page id " + pgid + " is outside the database (pages 2.." + (meta.highWater() - 1) + ")");
        }
        long offset = pgid * meta.pageSize();
        ByteBuffer header = slice(offset, PAGE_HEADER);
        long id = header.getLong(0);
        long overflow = header.getInt(12) & 0xffffffffL;
        if (id != pgid) {
            throw corrupt("page " + pgid + " says it is page " + id);
        }
        if (pgid + overflow >= meta.highWater() || (1 + overflow) * meta.pageSize() > Integer.MAX_VALUE) {
            throw corrupt("page " + pgid + " claims " + overflow + " overflow pages, beyond the database");
        }
        return slice(offset, (int) ((1 + overflow) * meta.pageSize()));
    }

    /** Receives the top-level buckets in name order: the name and the bucket's header (its value). */
    interface BucketVisitor {
        void bucket(ByteBuffer name, ByteBuffer header);
    }

    /** Visits every top-level bucket; a top-level entry that is not a bucket is corruption. */
    void forEachBucket(BucketVisitor visitor) {
        ByteBuffer root = page(meta.rootPgid());
        walkEntries(root, (key, value, flags) -> {
            if ((flags & BUCKET_FLAG) == 0) {
                throw corrupt("top-level entry '" + printable(key) + "' is not a bucket");
            }
            visitor.bucket(key, value);
        }, new BitSet());
    }

    /** Visits the entries of the bucket with this header, in key order. */
    void forEachInBucket(ByteBuffer header, String name, EntryVisitor visitor) {
        BitSet visited = new BitSet();
        walk(bucketRoot(header, name, visited), visitor, visited);
    }

    /**
     * Visits the entries of the top-level bucket {@code name}.
     *
     * @return false when there is no such bucket
     */
    boolean forEachInBucket(String name, EntryVisitor visitor) {
        ByteBuffer wanted = ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8));
        ByteBuffer[] found = new ByteBuffer[1];
        forEachBucket((bucket, header) -> {
            if (bucket.equals(wanted)) {
                found[0] = header;
            }
        });
        if (found[0] == null) {
            return false;
        }
        forEachInBucket(found[0], name, visitor);
        return true;
    }

    static String printable(ByteBuffer bytes) {
        StringBuilder text = new StringBuilder();
        for (int i = bytes.position(); i < bytes.limit() && text.length() < 64; i++) {
            int b = bytes.get(i) & 0xff;
            text.append(b >= 0x20 && b < 0x7f ? Character.toString(b) : String.format("\\x%02x", b));
        }
        return text.toString();
    }

    /** The root page of a bucket: its inline page, or the page its header names. */
    private ByteBuffer bucketRoot(ByteBuffer header, String name, BitSet visited) {
        if (header.remaining() < BUCKET_HEADER) {
            throw corrupt("bucket '" + name + "' has a header of " + header.remaining() + " bytes");
        }
        long root = header.getLong(header.position());
        if (root == 0) {
            ByteBuffer inline = header.slice(header.position() + BUCKET_HEADER, header.remaining() - BUCKET_HEADER)
                    .order(ByteOrder.LITTLE_ENDIAN);
            if (inline.remaining() < PAGE_HEADER) {
                throw corrupt("inline bucket '" + name + "' is shorter than a page header");
            }
            return inline;
        }
        markVisited(root, visited);
        return page(root);
    }

    private interface RawVisitor {
        void entry(ByteBuffer key, ByteBuffer value, int flags);
    }

    private void walk(ByteBuffer root, EntryVisitor visitor, BitSet visited) {
        walkEntries(root, (key, value, flags) -> visitor.entry(key, (flags & BUCKET_FLAG) != 0 ? null : value), visited);
    }

    /** In-order walk of a B+tree from {@code root}, with an explicit stack and a visited-page set. */
    private void walkEntries(ByteBuffer root, RawVisitor visitor, BitSet visited) {
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root));
        while (!stack.isEmpty()) {
            Frame frame = stack.peek();
            int flags = frame.page.getShort(8) & 0xffff;
            int count = frame.page.getShort(10) & 0xffff;
            if (PAGE_HEADER + (long) count * ELEMENT > frame.page.limit()) {
                throw corrupt("a page claims " + count + " elements, more than fit in its " + frame.page.limit() + " bytes");
            }
            if (frame.next >= count) {
                stack.pop();
                continue;
            }
            int index = frame.next++;
            int element = PAGE_HEADER + index * ELEMENT;
            if ((flags & BRANCH) != 0) {
                long child = frame.page.getLong(element + 8);
                if (stack.size() >= MAX_DEPTH) {
                    throw corrupt("the tree is deeper than " + MAX_DEPTH + " levels");
                }
                markVisited(child, visited);
                ByteBuffer childPage = page(child);
                int childFlags = childPage.getShort(8) & 0xffff;
                if ((childFlags & (BRANCH | LEAF)) == 0) {
                    throw corrupt("page " + child + " is referenced as a tree page but has flags 0x" + Integer.toHexString(childFlags));
                }
                stack.push(new Frame(childPage));
            } else if ((flags & LEAF) != 0) {
                int elementFlags = frame.page.getInt(element);
                long keyStart = element + (frame.page.getInt(element + 4) & 0xffffffffL);
                long keySize = frame.page.getInt(element + 8) & 0xffffffffL;
                long valueSize = frame.page.getInt(element + 12) & 0xffffffffL;
                if (keyStart + keySize + valueSize > frame.page.limit()) {
                    throw corrupt("a leaf element reaches beyond its page");
                }
                ByteBuffer key = frame.page.slice((int) keyStart, (int) keySize);
                ByteBuffer value = frame.page.slice((int) (keyStart + keySize), (int) valueSize).order(ByteOrder.LITTLE_ENDIAN);
                visitor.entry(key, value, elementFlags);
            } else {
                throw corrupt("a tree page has flags 0x" + Integer.toHexString(flags) + " (neither branch nor leaf)");
            }
        }
    }

    private void markVisited(long pgid, BitSet visited) {
        if (pgid < 2 || pgid >= meta.highWater()) {
            throw corrupt("page id " + pgid + " is outside the database (pages 2.." + (meta.highWater() - 1) + ")");
        }
        if (visited.get((int) pgid)) {
            throw corrupt("page " + pgid + " is referenced twice (a cycle or a shared page)");
        }
        visited.set((int) pgid);
    }

    private static SnapshotFormatException corrupt(String message) {
        return new SnapshotFormatException(Problem.CORRUPT_PAGE, "corrupted page: " + message);
    }

    private static final class Frame {
        final ByteBuffer page;
        int next;

        Frame(ByteBuffer page) {
            this.page = page;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new SnapshotFormatException(Problem.UNREADABLE, "cannot close the snapshot file: " + e.getMessage(), e);
        }
    }
}
