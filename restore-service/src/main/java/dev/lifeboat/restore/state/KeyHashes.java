package dev.lifeboat.restore.state;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * 64-bit hashes of keys (the first 8 bytes of their SHA-256) mapped to 64-bit hashes of values, in an
 * open-addressing table: 16 bytes an entry, so a keyspace of a million keys costs 32 MB at most instead
 * of holding the keys themselves. Two different keys sharing a hash (odds about n²/2⁶⁵) would be
 * treated as one: a key to prune could survive, and verification would then fail visibly — never a
 * silent loss.
 */
public final class KeyHashes {

    private static final long EMPTY = 0;

    private long[] keys = new long[1024];
    private long[] values = new long[1024];
    private int size;

    /** The 64-bit hash of some bytes; never 0 (0 marks an empty slot). */
    public static long of(byte[] bytes) {
        long hash = ByteBuffer.wrap(sha256().digest(bytes)).getLong();
        return hash == EMPTY ? 1 : hash;
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void put(long key, long value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int slot = slot(key, keys);
        if (keys[slot] == EMPTY) {
            keys[slot] = key;
            size++;
        }
        values[slot] = value;
    }

    public boolean contains(long key) {
        return keys[slot(key, keys)] == key;
    }

    /** The value hash of a key, or 0 when the key is absent. */
    public long get(long key) {
        int slot = slot(key, keys);
        return keys[slot] == key ? values[slot] : EMPTY;
    }

    public int size() {
        return size;
    }

    /** Every entry, in no particular order. */
    public void forEach(java.util.function.BiConsumer<Long, Long> each) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != EMPTY) {
                each.accept(keys[i], values[i]);
            }
        }
    }

    private static int slot(long key, long[] table) {
        int mask = table.length - 1;
        int slot = (int) (key ^ (key >>> 32)) & mask;
        while (table[slot] != EMPTY && table[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                int slot = slot(oldKeys[i], keys);
                keys[slot] = oldKeys[i];
                values[slot] = oldValues[i];
            }
        }
    }
}
