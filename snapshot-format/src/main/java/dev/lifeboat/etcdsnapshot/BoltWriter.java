package dev.lifeboat.etcdsnapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a new bbolt database in one pass: top-level buckets one after the other, each one's entries
 * in key order, bulk-loaded bottom-up into full pages (the layout {@link BoltFile} describes).
 *
 * <p>Pages 0 and 1 are the meta pages and page 2 an empty freelist, written last; from page 3 on come
 * each bucket's leaves, then its branch levels, then the root bucket's page(s). Pages are allocated in
 * increasing order and written sequentially; nothing of a bucket but its first key a page is kept in
 * memory. A bucket small enough (a quarter of a page, as bbolt decides) is stored inline in its parent,
 * as bbolt stores it.
 */
final class BoltWriter implements Closeable {

    private static final int PAGE_HEADER = 16;
    private static final int ELEMENT = 16;
    private static final int BUCKET_HEADER = 16;
    private static final int META_SIZE = 64;
    private static final int BRANCH = 0x01;
    private static final int LEAF = 0x02;
    private static final int META = 0x04;
    private static final int FREELIST = 0x10;
    private static final int BUCKET_FLAG = 0x01;
    private static final long FIRST_DATA_PAGE = 3;

    private final Path file;
    private final FileChannel channel;
    private final int pageSize;
    private final ByteBuffer pending = ByteBuffer.allocateDirect(1 << 20);
    private final Tree root;
    private long nextPage = FIRST_DATA_PAGE;
    /** Pages handed to the channel: the sequential output's end. */
    private long written = FIRST_DATA_PAGE;
    private Tree bucket;
    private byte[] bucketName;
    private long bucketSequence;

    BoltWriter(Path file, int pageSize) {
        this.file = file;
        this.pageSize = pageSize;
        this.root = new Tree();
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
        } catch (IOException e) {
            throw new SnapshotFormatException(SnapshotFormatException.Problem.UNREADABLE, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Starts a top-level bucket; names must come in increasing (unsigned byte) order. */
    void beginBucket(byte[] name, long sequence) {
        if (bucket != null) {
            throw new IllegalStateException("bucket " + new String(bucketName) + " is not ended");
        }
        bucket = new Tree();
        bucketName = name;
        bucketSequence = sequence;
    }

    /** Adds an entry to the current bucket; keys must come in strictly increasing (unsigned byte) order. */
    void put(byte[] key, byte[] value) {
        bucket.add(key, value, 0);
    }

    void endBucket() {
        root.add(bucketName, bucket.finish(bucketSequence, true), BUCKET_FLAG);
        bucket = null;
    }

    /**
     * Writes the root bucket, the freelist and both meta pages.
     *
     * @return the database's size in bytes (whole pages)
     */
    long finish() {
        if (bucket != null) {
            throw new IllegalStateException("bucket " + new String(bucketName) + " is not ended");
        }
        long rootPage = ByteBuffer.wrap(root.finish(0, false)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        flush();
        ByteBuffer freelist = page(2, FREELIST, 0, 0);
        write(freelist, 2L * pageSize);
        for (int id = 0; id < 2; id++) {
            ByteBuffer meta = page(id, META, 0, 0);
            ByteBuffer m = meta.position(PAGE_HEADER).slice().order(ByteOrder.LITTLE_ENDIAN);
            m.putInt(0, BoltFile.MAGIC).putInt(4, BoltFile.VERSION).putInt(8, pageSize).putInt(12, 0);
            m.putLong(16, rootPage).putLong(24, 0).putLong(32, 2).putLong(40, nextPage).putLong(48, 1 + id);
            m.putLong(56, BoltFile.fnv1a64(m, 56));
            write(meta.rewind(), (long) id * pageSize);
        }
        return nextPage * pageSize;
    }

    private ByteBuffer page(long id, int flags, int count, int overflow) {
        ByteBuffer page = ByteBuffer.allocate((1 + overflow) * pageSize).order(ByteOrder.LITTLE_ENDIAN);
        page.putLong(0, id).putShort(8, (short) flags).putShort(10, (short) count).putInt(12, overflow);
        return page;
    }

    /** Appends a page (the next one in page order) to the sequential output. */
    private void append(ByteBuffer page) {
        if (page.remaining() > pending.remaining()) {
            flush();
        }
        if (page.remaining() > pending.capacity()) {
            int pages = page.remaining() / pageSize;
            write(page, written * pageSize);
            written += pages;
            return;
        }
        pending.put(page);
    }

    private void flush() {
        pending.flip();
        int pages = pending.remaining() / pageSize;
        write(pending, written * pageSize);
        written += pages;
        pending.clear();
    }

    private void write(ByteBuffer bytes, long position) {
        try {
            long at = position;
            while (bytes.hasRemaining()) {
                at += channel.write(bytes, at);
            }
        } catch (IOException e) {
            throw new SnapshotFormatException(SnapshotFormatException.Problem.UNREADABLE, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** A page's first key and id, for the branch level above it. */
    private record Child(byte[] firstKey, long pgid) {
    }

    /** One B+tree under construction: the leaf being filled and the pages written so far, level by level. */
    private final class Tree {

        private final List<byte[]> keys = new ArrayList<>();
        private final List<byte[]> values = new ArrayList<>();
        private final List<Integer> flags = new ArrayList<>();
        private final List<Child> leaves = new ArrayList<>();
        private int leafSize = PAGE_HEADER;
        private byte[] lastKey;

        void add(byte[] key, byte[] value, int elementFlags) {
            if (lastKey != null && Arrays.compareUnsigned(lastKey, key) >= 0) {
                throw new IllegalArgumentException("keys must be written in increasing order");
            }
            lastKey = key;
            int size = ELEMENT + key.length + value.length;
            if (!keys.isEmpty() && leafSize + size > pageSize) {
                flushLeaf();
            }
            keys.add(key);
            values.add(value);
            flags.add(elementFlags);
            leafSize += size;
        }

        /** The bucket's value in its parent: header (root page, sequence), and the inline page when small. */
        byte[] finish(long sequence, boolean mayInline) {
            if (mayInline && leaves.isEmpty() && leafSize <= pageSize / 4) {
                ByteBuffer value = ByteBuffer.allocate(BUCKET_HEADER + leafSize).order(ByteOrder.LITTLE_ENDIAN);
                value.putLong(0, 0).putLong(8, sequence);
                value.put(BUCKET_HEADER, leafPage(0, leafSize).array(), 0, leafSize);
                return value.array();
            }
            if (!keys.isEmpty() || leaves.isEmpty()) {
                flushLeaf();
            }
            List<Child> level = leaves;
            while (level.size() > 1) {
                level = branchLevel(level);
            }
            return ByteBuffer.allocate(BUCKET_HEADER).order(ByteOrder.LITTLE_ENDIAN).putLong(0, level.get(0).pgid()).putLong(8, sequence).array();
        }

        private void flushLeaf() {
            long pgid = nextPage;
            ByteBuffer page = leafPage(pgid, leafSize);
            nextPage += page.limit() / pageSize;
            append(page.rewind());
            leaves.add(new Child(keys.isEmpty() ? new byte[0] : keys.get(0), pgid));
            keys.clear();
            values.clear();
            flags.clear();
            leafSize = PAGE_HEADER;
        }

        /** The leaf of the pending entries, padded to whole pages (when {@code id} is 0: exactly its size, for inlining). */
        private ByteBuffer leafPage(long id, int size) {
            int pages = (size + pageSize - 1) / pageSize;
            ByteBuffer page = id == 0 ? ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN) : BoltWriter.this.page(id, LEAF, 0, pages - 1);
            page.putLong(0, id).putShort(8, (short) LEAF).putShort(10, (short) keys.size()).putInt(12, id == 0 ? 0 : pages - 1);
            int data = PAGE_HEADER + keys.size() * ELEMENT;
            for (int i = 0; i < keys.size(); i++) {
                int element = PAGE_HEADER + i * ELEMENT;
                byte[] key = keys.get(i);
                byte[] value = values.get(i);
                page.putInt(element, flags.get(i)).putInt(element + 4, data - element).putInt(element + 8, key.length)
                        .putInt(element + 12, value.length);
                page.put(data, key);
                page.put(data + key.length, value);
                data += key.length + value.length;
            }
            return page;
        }

        /** Writes the branch pages over {@code children}; returns their first keys and ids. */
        private List<Child> branchLevel(List<Child> children) {
            List<Child> level = new ArrayList<>();
            int from = 0;
            while (from < children.size()) {
                int size = PAGE_HEADER;
                int to = from;
                while (to < children.size() && (to == from || size + ELEMENT + children.get(to).firstKey().length <= pageSize)) {
                    size += ELEMENT + children.get(to).firstKey().length;
                    to++;
                }
                if (to - from == 1 && to < children.size()) {
                    // two children at least, even when their keys overflow a page: every level halves
                    to++;
                    size += ELEMENT + children.get(to - 1).firstKey().length;
                }
                long pgid = nextPage;
                int pages = (size + pageSize - 1) / pageSize;
                ByteBuffer page = page(pgid, BRANCH, to - from, pages - 1);
                int data = PAGE_HEADER + (to - from) * ELEMENT;
                for (int i = from; i < to; i++) {
                    int element = PAGE_HEADER + (i - from) * ELEMENT;
                    byte[] key = children.get(i).firstKey();
                    page.putInt(element, data - element).putInt(element + 4, key.length).putLong(element + 8, children.get(i).pgid());
                    page.put(data, key);
                    data += key.length;
                }
                nextPage += pages;
                append(page.rewind());
                level.add(new Child(children.get(from).firstKey(), pgid));
                from = to;
            }
            return level;
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new SnapshotFormatException(SnapshotFormatException.Problem.UNREADABLE, "cannot close " + file + ": " + e.getMessage(), e);
        }
    }
}
