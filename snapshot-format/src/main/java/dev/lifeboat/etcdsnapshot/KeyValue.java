package dev.lifeboat.etcdsnapshot;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One version of a key, as etcd stores it (mvccpb.KeyValue).
 *
 * @param lease the lease id, 0 for none
 */
public record KeyValue(byte[] key, byte[] value, long createRevision, long modRevision, long version, long lease) {

    public String keyUtf8() {
        return new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof KeyValue kv && Arrays.equals(key, kv.key) && Arrays.equals(value, kv.value)
                && createRevision == kv.createRevision && modRevision == kv.modRevision && version == kv.version
                && lease == kv.lease;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(key) + Long.hashCode(modRevision);
    }

    @Override
    public String toString() {
        return "KeyValue[" + keyUtf8() + " @" + modRevision + ", " + value.length + " bytes]";
    }
}
