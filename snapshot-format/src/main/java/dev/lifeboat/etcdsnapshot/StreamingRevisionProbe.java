package dev.lifeboat.etcdsnapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * Learns a snapshot's exact revision while its bytes stream past, in one pass and without a file:
 * what {@link EtcdSnapshot#storeRevision} computes from a file.
 *
 * <p>bbolt pages arrive in page order, not tree order, so the probe keeps a small digest of every
 * page: for leaf pages the main revision of their last revision-shaped key (8 bytes a page), for
 * branch pages their child ids, for leaves that hold buckets the bucket headers, and the
 * {@code finishedCompactRev} value wherever it appears. At the end it follows the chosen meta page to
 * the {@code key} bucket's rightmost leaf. Memory: about 8 bytes a page plus the branch pages' child
 * lists (well under 1% of the db). One page buffer serves every page; of a leaf with overflow pages (a
 * large value) only what the digest reads is kept — its keys, and the values of buckets and of small
 * elements — and the rest streams past; such a leaf is buffered whole only when its element headers do
 * not fit its first page.
 */
public final class StreamingRevisionProbe {

    private static final int PAGE_HEADER = 16;
    private static final int ELEMENT = 16;
    private static final ByteBuffer KEY_BUCKET = ascii("key");
    private static final ByteBuffer META_BUCKET = ascii("meta");
    private static final ByteBuffer COMPACT_KEY = ascii("finishedCompactRev");

    private final ByteBuffer metaHeader = ByteBuffer.allocate(PAGE_HEADER + 64).order(ByteOrder.LITTLE_ENDIAN);
    private int pageSize;
    private long position;
    /** The page being filled: {@link #pageBuffer} or, for a leaf with overflow, a buffer of its own. */
    private ByteBuffer page;
    private ByteBuffer pageBuffer;
    private long pageId;
    private final BoltFileMetas metas = new BoltFileMetas();
    private long[] lastRevision = new long[0];
    private final Map<Long, long[]> branchChildren = new HashMap<>();
    private final Map<Long, Map<ByteBuffer, ByteBuffer>> bucketLeaves = new HashMap<>();
    private final Map<Long, Long> compactRevisionByPage = new HashMap<>();
    /** Bytes to let pass before the next page starts: the overflow the digest does not read. */
    private long bytesToSkip;

    /** Feeds the next db bytes (without etcd's hash trailer). */
    public void update(byte[] bytes, int offset, int length) {
        int end = offset + length;
        int at = offset;
        while (at < end) {
            if (pageSize == 0) {
                int n = Math.min(end - at, metaHeader.remaining());
                metaHeader.put(bytes, at, n);
                at += n;
                position += n;
                if (!metaHeader.hasRemaining()) {
                    startFromFirstMeta();
                }
                continue;
            }
            if (bytesToSkip > 0) {
                int n = (int) Math.min(end - at, bytesToSkip);
                at += n;
                position += n;
                bytesToSkip -= n;
                continue;
            }
            if (page == null) {
                page = pageBuffer.clear();
                pageId = position / pageSize;
            }
            int n = Math.min(end - at, page.remaining());
            page.put(bytes, at, n);
            at += n;
            position += n;
            if (!page.hasRemaining()) {
                pageComplete();
            }
        }
    }

    private void startFromFirstMeta() {
        int size = metaHeader.getInt(PAGE_HEADER + 8);
        if (metaHeader.getInt(PAGE_HEADER) != BoltFile.MAGIC || size < 512 || size > (1 << 20) || Integer.bitCount(size) != 1) {
            throw new SnapshotFormatException(Problem.BAD_META, "the stream does not start with a bbolt meta page");
        }
        pageSize = size;
        pageBuffer = ByteBuffer.allocate(pageSize).order(ByteOrder.LITTLE_ENDIAN);
        page = pageBuffer;
        page.put(metaHeader.flip());
        pageId = 0;
    }

    private void pageComplete() {
        ByteBuffer full = page.flip();
        page = null;
        long id = full.getLong(0);
        int flags = full.getShort(8) & 0xffff;
        long overflow = full.getInt(12) & 0xffffffffL;
        if (id != pageId) {
            return;
        }
        if (pageId < 2) {
            metas.offer(full);
            if (metas.highWater() > lastRevision.length) {
                lastRevision = new long[(int) Math.min(metas.highWater(), Integer.MAX_VALUE - 8)];
            }
            return;
        }
        boolean treePage = (flags & 0x03) != 0;
        if (overflow > 0 && !treePage) {
            // Freelist pages and the like: their overflow carries nothing the probe needs.
            bytesToSkip = overflow * pageSize;
            return;
        }
        long wholeSize = (1 + overflow) * pageSize;
        if (full.limit() < wholeSize) {
            if (wholeSize > (256L << 20)) {
                throw new SnapshotFormatException(Problem.CORRUPT_PAGE, "corrupted page: page " + pageId + " claims " + overflow + " overflow pages");
            }
            long consumed = full.limit();
            long needed = (flags & 0x02) != 0 ? neededOfLeaf(full, wholeSize) : wholeSize;
            if (needed <= consumed) {
                digest(pageId, full.limit((int) needed), flags);
                bytesToSkip = wholeSize - consumed;
                return;
            }
            // the digest reads beyond the first page: keep that much (pageComplete comes back with it)
            ByteBuffer kept = ByteBuffer.allocate((int) needed).order(ByteOrder.LITTLE_ENDIAN);
            kept.put(full);
            page = kept;
            return;
        }
        digest(pageId, full, flags);
    }

    /**
     * How much of a leaf with overflow the digest reads: up to the end of every key, and of every value
     * that is a bucket or small enough to be {@code finishedCompactRev}. Large values (the overflow's
     * reason) are not read. The whole leaf when its element headers do not fit its first page.
     */
    private long neededOfLeaf(ByteBuffer first, long wholeSize) {
        int count = first.getShort(10) & 0xffff;
        if (PAGE_HEADER + (long) count * ELEMENT > first.limit()) {
            return wholeSize;
        }
        long needed = PAGE_HEADER + (long) count * ELEMENT;
        for (int i = 0; i < count; i++) {
            int element = PAGE_HEADER + i * ELEMENT;
            long keyEnd = element + (first.getInt(element + 4) & 0xffffffffL) + (first.getInt(element + 8) & 0xffffffffL);
            long valueSize = first.getInt(element + 12) & 0xffffffffL;
            boolean read = (first.getInt(element) & 0x01) != 0 || valueSize <= Revision.SIZE;
            needed = Math.max(needed, read ? keyEnd + valueSize : keyEnd);
        }
        return Math.min(needed, wholeSize);
    }

    private void digest(long id, ByteBuffer full, int flags) {
        int count = full.getShort(10) & 0xffff;
        if (PAGE_HEADER + (long) count * ELEMENT > full.limit()) {
            return;
        }
        if ((flags & 0x01) != 0) {
            long[] children = new long[count];
            for (int i = 0; i < count; i++) {
                children[i] = full.getLong(PAGE_HEADER + i * ELEMENT + 8);
            }
            branchChildren.put(id, children);
        } else if ((flags & 0x02) != 0) {
            Map<ByteBuffer, ByteBuffer> buckets = new HashMap<>();
            leafElements(full, (index, elements, elementFlags, key, value) -> {
                if ((elementFlags & 0x01) != 0) {
                    if (value != null) {
                        buckets.put(copy(key), copy(value));
                    }
                } else if (index == elements - 1 && isRevision(key) && id < lastRevision.length) {
                    lastRevision[(int) id] = key.getLong(0);
                } else if (key.equals(COMPACT_KEY) && value != null && value.remaining() == Revision.SIZE) {
                    compactRevisionByPage.put(id, value.order(ByteOrder.BIG_ENDIAN).getLong(0));
                }
            });
            if (!buckets.isEmpty()) {
                bucketLeaves.put(id, buckets);
            }
        }
    }

    /**
     * Receives the elements of a leaf page; buffers are only valid during the call, and {@code value} is
     * null when it was not kept (a large value of a leaf with overflow).
     */
    private interface LeafVisitor {
        void element(int index, int count, int flags, ByteBuffer key, ByteBuffer value);
    }

    /** Visits a leaf page's elements, stopping at the first whose key does not fit the page. */
    private static void leafElements(ByteBuffer page, LeafVisitor visitor) {
        int count = page.getShort(10) & 0xffff;
        for (int i = 0; i < count && PAGE_HEADER + (i + 1) * ELEMENT <= page.limit(); i++) {
            int element = PAGE_HEADER + i * ELEMENT;
            long keyStart = element + (page.getInt(element + 4) & 0xffffffffL);
            long keySize = page.getInt(element + 8) & 0xffffffffL;
            long valueSize = page.getInt(element + 12) & 0xffffffffL;
            if (keyStart + keySize > page.limit()) {
                return;
            }
            ByteBuffer value = keyStart + keySize + valueSize > page.limit() ? null
                    : page.slice((int) (keyStart + keySize), (int) valueSize).order(ByteOrder.LITTLE_ENDIAN);
            visitor.element(i, count, page.getInt(element), page.slice((int) keyStart, (int) keySize), value);
        }
    }

    private static boolean isRevision(ByteBuffer key) {
        int length = key.remaining();
        return (length == Revision.SIZE || length == Revision.SIZE + 1) && key.get(8) == '_';
    }

    /**
     * The snapshot's store revision (the newest revision in the key bucket, or the last compaction
     * revision when higher), once every byte was fed.
     */
    public long revision() {
        if (page != null && page.position() > 0 || bytesToSkip > 0) {
            throw new SnapshotFormatException(Problem.TRUNCATED, "the snapshot stream ended inside page " + pageId);
        }
        long root = metas.rootPgid();
        ByteBuffer keyHeader = findBucket(root, KEY_BUCKET);
        long revision = keyHeader == null ? 0 : lastRevisionOf(keyHeader);
        ByteBuffer metaHeaderValue = findBucket(root, META_BUCKET);
        long compact = metaHeaderValue == null ? 0 : compactRevisionOf(metaHeaderValue);
        return EtcdSnapshot.storeRevision(revision, compact);
    }

    private ByteBuffer findBucket(long root, ByteBuffer name) {
        long pgid = root;
        for (int depth = 0; depth < 64; depth++) {
            long[] children = branchChildren.get(pgid);
            if (children == null) {
                Map<ByteBuffer, ByteBuffer> buckets = bucketLeaves.get(pgid);
                return buckets == null ? null : buckets.get(name);
            }
            // Bucket names are few: look through every child leaf rather than comparing separator keys.
            for (long child : children) {
                Map<ByteBuffer, ByteBuffer> buckets = bucketLeaves.get(child);
                if (buckets != null && buckets.containsKey(name)) {
                    return buckets.get(name);
                }
            }
            pgid = children.length == 0 ? -1 : children[children.length - 1];
        }
        return null;
    }

    private long lastRevisionOf(ByteBuffer header) {
        long root = header.getLong(0);
        if (root == 0) {
            return inlineLast(header, true);
        }
        long pgid = root;
        for (int depth = 0; depth < 64; depth++) {
            long[] children = branchChildren.get(pgid);
            if (children == null) {
                return pgid < lastRevision.length ? lastRevision[(int) pgid] : 0;
            }
            if (children.length == 0) {
                return 0;
            }
            pgid = children[children.length - 1];
        }
        throw new SnapshotFormatException(Problem.CORRUPT_PAGE, "corrupted page: the key bucket is deeper than 64 levels");
    }

    private long compactRevisionOf(ByteBuffer header) {
        long root = header.getLong(0);
        if (root == 0) {
            return inlineLast(header, false);
        }
        long found = 0;
        for (Map.Entry<Long, Long> entry : compactRevisionByPage.entrySet()) {
            found = Math.max(found, entry.getValue());
        }
        return found;
    }

    /** Reads an inline bucket: its last revision key (key bucket) or its finishedCompactRev (meta bucket). */
    private static long inlineLast(ByteBuffer header, boolean lastRevisionKey) {
        ByteBuffer inline = header.slice(16, header.remaining() - 16).order(ByteOrder.LITTLE_ENDIAN);
        if (inline.remaining() < PAGE_HEADER) {
            return 0;
        }
        long[] result = {0};
        leafElements(inline, (index, count, flags, key, value) -> {
            if (lastRevisionKey && isRevision(key)) {
                result[0] = key.getLong(0);
            } else if (!lastRevisionKey && key.equals(COMPACT_KEY) && value != null && value.remaining() == Revision.SIZE) {
                result[0] = value.order(ByteOrder.BIG_ENDIAN).getLong(0);
            }
        });
        return result[0];
    }

    private static ByteBuffer copy(ByteBuffer source) {
        ByteBuffer copy = ByteBuffer.allocate(source.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(source.duplicate());
        return copy.flip();
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The two meta pages as they stream past; the valid one with the higher txid wins. */
    private static final class BoltFileMetas {
        private long rootPgid = -1;
        private long txid = -1;
        private long highWater;

        void offer(ByteBuffer page) {
            ByteBuffer meta = page.slice(PAGE_HEADER, 64).order(ByteOrder.LITTLE_ENDIAN);
            if (meta.getInt(0) != BoltFile.MAGIC || meta.getInt(4) != BoltFile.VERSION) {
                return;
            }
            long hash = 0xcbf29ce484222325L;
            for (int i = 0; i < 56; i++) {
                hash ^= meta.get(i) & 0xff;
                hash *= 0x100000001b3L;
            }
            if (hash != meta.getLong(56)) {
                return;
            }
            if (meta.getLong(48) > txid) {
                txid = meta.getLong(48);
                rootPgid = meta.getLong(16);
                highWater = meta.getLong(40);
            }
        }

        long highWater() {
            return highWater;
        }

        long rootPgid() {
            if (rootPgid < 0) {
                throw new SnapshotFormatException(Problem.BAD_META, "no valid meta page in the snapshot stream");
            }
            return rootPgid;
        }
    }
}
