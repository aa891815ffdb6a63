package dev.lifeboat.etcdsnapshot;

/**
 * A snapshot file that cannot be trusted or read, with what is wrong with it. The message is one line
 * a person can act on; {@link #problem()} lets code tell the cases apart.
 */
public class SnapshotFormatException extends RuntimeException {

    /** What is wrong with the file. */
    public enum Problem {
        /** No SHA-256 trailer (size % 512 != 32): a copy of a data dir's db, or a cut stream. */
        MISSING_HASH,
        /** The SHA-256 trailer does not match the db bytes: the file was corrupted or cut. */
        HASH_MISMATCH,
        /** The file ends before a page it references. */
        TRUNCATED,
        /** Neither meta page is valid (magic, version, checksum). */
        BAD_META,
        /** A page or element is inconsistent: wrong type, out of bounds, a cycle, absurd counts. */
        CORRUPT_PAGE,
        /** A valid bbolt file, but not etcd's schema. */
        NOT_ETCD,
        /** The file could not be read at all. */
        UNREADABLE,
        /** A Lifeboat delta that is not one, or is inconsistent: a bad line, a hole, a trailer that does not match. */
        BAD_DELTA
    }

    private final Problem problem;

    public SnapshotFormatException(Problem problem, String message) {
        super(message);
        this.problem = problem;
    }

    public SnapshotFormatException(Problem problem, String message, Throwable cause) {
        super(message, cause);
        this.problem = problem;
    }

    public Problem problem() {
        return problem;
    }
}
