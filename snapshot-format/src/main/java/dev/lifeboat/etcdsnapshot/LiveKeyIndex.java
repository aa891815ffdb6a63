package dev.lifeboat.etcdsnapshot;

import java.nio.ByteBuffer;

/**
 * Which entry of the key bucket is the latest version of each key, in bounded memory: an open-addressing
 * table from a 64-bit hash of the key to the ordinal of its latest entry and whether that entry is a
 * tombstone — 12 bytes a slot, whatever the key and value sizes.
 *
 * <p>Keys are identified by their hash, so two distinct keys with the same 64-bit hash would count as
 * one. For n keys the chance of that is about n²/2⁶⁵ (one in 37 million for a million keys); the
 * alternative, holding every key on the heap, breaks the memory bound on large snapshots.
 */
final class LiveKeyIndex {

    private long[] hashes = new long[1 << 12];
    private int[] ordinals = new int[1 << 12];
    private int size;
    private int live;

    /** Records that entry {@code ordinal} (in revision order) is the newest version of {@code key} so far. */
    void put(ByteBuffer key, int ordinal, boolean tombstone) {
        if (2 * (size + 1) > hashes.length) {
            grow();
        }
        long hash = hash(key);
        int slot = find(hashes, hash);
        if (hashes[slot] == 0) {
            hashes[slot] = hash;
            size++;
        } else if (ordinals[slot] >= 0) {
            live--;
        }
        ordinals[slot] = tombstone ? ~ordinal : ordinal;
        if (!tombstone) {
            live++;
        }
    }

    /** Whether entry {@code ordinal} is the newest version of {@code key} and not a deletion. */
    boolean isLatestLive(ByteBuffer key, int ordinal) {
        int slot = find(hashes, hash(key));
        return hashes[slot] != 0 && ordinals[slot] == ordinal;
    }

    /** Distinct keys whose newest version is not a deletion. */
    int liveCount() {
        return live;
    }

    private static int find(long[] table, long hash) {
        int mask = table.length - 1;
        int slot = (int) (hash ^ (hash >>> 32)) & mask;
        while (table[slot] != 0 && table[slot] != hash) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void grow() {
        long[] oldHashes = hashes;
        int[] oldOrdinals = ordinals;
        hashes = new long[oldHashes.length * 2];
        ordinals = new int[oldHashes.length * 2];
        for (int i = 0; i < oldHashes.length; i++) {
            if (oldHashes[i] != 0) {
                int slot = find(hashes, oldHashes[i]);
                hashes[slot] = oldHashes[i];
                ordinals[slot] = oldOrdinals[i];
            }
        }
    }

    /** FNV-1a over the bytes, then the MurmurHash3 finalizer to spread them; never 0 (0 marks a free slot). */
    static long hash(ByteBuffer key) {
        long hash = 0xcbf29ce484222325L;
        for (int i = key.position(); i < key.limit(); i++) {
            hash ^= key.get(i) & 0xff;
            hash *= 0x100000001b3L;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        hash *= 0xc4ceb9fe1a85ec53L;
        hash ^= hash >>> 33;
        return hash == 0 ? 1 : hash;
    }
}
