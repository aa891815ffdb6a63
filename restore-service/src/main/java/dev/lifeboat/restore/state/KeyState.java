package dev.lifeboat.restore.state;

import java.util.Map;
import java.util.function.Consumer;

import dev.lifeboat.etcdsnapshot.EtcdSnapshot;

/**
 * The keyspace a restore brings back: a full snapshot's live keys ({@link SnapshotState}), or those
 * with the changes of deltas applied up to a target ({@link PointInTimeState}). Restoring writes it,
 * verifying compares a cluster with it.
 */
public interface KeyState extends AutoCloseable {

    /** One live key: its value and the lease it is attached to (0 for none). */
    record Entry(byte[] key, byte[] value, long lease) {
    }

    /** Every live key starting with {@code prefix} (all of them for an empty prefix), in no particular order. */
    void forEachLive(byte[] prefix, Consumer<Entry> each);

    /** The leases live keys may name, by id. */
    Map<Long, EtcdSnapshot.Lease> leases();

    /** The revision the keyspace is at. */
    long revision();

    @Override
    void close();
}
