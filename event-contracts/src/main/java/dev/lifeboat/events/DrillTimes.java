package dev.lifeboat.events;

/**
 * What a restore drill measured, step by step (0 for a step it did not reach): together, an estimate of how long a
 * REPLACE of the cluster from this snapshot takes on the member's host.
 *
 * @param fetchMillis   downloading the snapshot (decrypted, decompressed, checked) to local disk
 * @param restoreMillis etcd's restore tool writing a data dir from it
 * @param startMillis   from starting etcd on that data dir until it answered healthy
 * @param verifyMillis  comparing the keyspace (hash, key count, sample)
 * @param dbBytes       the plain etcd db's size
 */
public record DrillTimes(long fetchMillis, long restoreMillis, long startMillis, long verifyMillis, long dbBytes) {

    public DrillTimes {
        if (fetchMillis < 0 || restoreMillis < 0 || startMillis < 0 || verifyMillis < 0 || dbBytes < 0) {
            throw new IllegalArgumentException("drill times and size must not be negative");
        }
    }

    /** The time a REPLACE would spend on the member: fetch, restore, start. */
    public long recoveryMillis() {
        return fetchMillis + restoreMillis + startMillis;
    }
}
