package dev.lifeboat.etcdsnapshot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException.Problem;

/**
 * A key of etcd's {@code key} bucket: 8-byte big-endian main revision, '_', 8-byte big-endian sub
 * revision, and a trailing 't' when the entry is a tombstone (a deletion).
 */
public record Revision(long main, long sub, boolean tombstone) implements Comparable<Revision> {

    static final int SIZE = 17;

    static Revision parse(ByteBuffer key) {
        int length = key.remaining();
        int start = key.position();
        if ((length != SIZE && length != SIZE + 1) || key.get(start + 8) != '_'
                || (length == SIZE + 1 && key.get(start + SIZE) != 't')) {
            throw new SnapshotFormatException(Problem.CORRUPT_PAGE,
                    "corrupted page: a key of etcd's key bucket is not a revision (" + length + " bytes)");
        }
        // etcd writes revisions big-endian; the buffer may come in either order (bbolt values are read little-endian)
        ByteBuffer bigEndian = key.duplicate().order(ByteOrder.BIG_ENDIAN);
        return new Revision(bigEndian.getLong(start), bigEndian.getLong(start + 9), length == SIZE + 1);
    }

    @Override
    public int compareTo(Revision other) {
        int byMain = Long.compare(main, other.main);
        return byMain != 0 ? byMain : Long.compare(sub, other.sub);
    }
}
