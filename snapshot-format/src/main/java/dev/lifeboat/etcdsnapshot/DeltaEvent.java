package dev.lifeboat.etcdsnapshot;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One change of a delta: a put or a delete of one key at one revision, as etcd's watch reported it.
 *
 * @param revision       the revision of the change (a put's mod revision, a delete's revision)
 * @param value          a put's value; empty for a delete
 * @param createRevision a put's create revision; 0 for a delete
 * @param version        a put's version (1 for a new key); 0 for a delete
 * @param lease          the lease a put attaches the key to, 0 for none
 * @param leaseTtl       the granted TTL of that lease in seconds as the capture saw it, 0 when unknown
 * @param time           when the capture received the change (etcd records no time)
 * @param prevValue      for a delete, the value the key had (etcd's prev_kv), or null
 */
public record DeltaEvent(long revision, Op op, byte[] key, byte[] value, long createRevision, long version, long lease,
        long leaseTtl, Instant time, byte[] prevValue) {

    public enum Op {
        PUT, DELETE
    }

    public static DeltaEvent put(long revision, byte[] key, byte[] value, long createRevision, long version, long lease, long leaseTtl,
            Instant time) {
        return new DeltaEvent(revision, Op.PUT, key, value, createRevision, version, lease, leaseTtl, time, null);
    }

    public static DeltaEvent delete(long revision, byte[] key, byte[] prevValue, Instant time) {
        return new DeltaEvent(revision, Op.DELETE, key, new byte[0], 0, 0, 0, 0, time, prevValue);
    }

    /** Bytes of key and values: what a size threshold counts. */
    public long size() {
        return key.length + value.length + (prevValue == null ? 0 : prevValue.length);
    }

    public String keyUtf8() {
        return new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "DeltaEvent[" + op + " " + keyUtf8() + " @" + revision + "]";
    }
}
