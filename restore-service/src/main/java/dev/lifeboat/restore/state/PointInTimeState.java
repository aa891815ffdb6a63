package dev.lifeboat.restore.state;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;

/**
 * The keyspace at a point in time: a full snapshot with the changes of deltas applied, from its revision
 * up to a target revision or, for a target time, every change received until then. Memory-bounded:
 * the changes stay in the delta files on disk; an index holds, for each key a delta touches, a 64-bit
 * hash of the key and where its last change before the target is (16 bytes a touched key), and values
 * are read from the file when the keyspace is walked. Two keys with equal 64-bit hashes would be taken
 * for one (odds about n²/2⁶⁵); verification would then fail visibly, never silently.
 */
public final class PointInTimeState implements KeyState {

    private static final int OFFSET_BITS = 40;

    private final SnapshotState snapshot;
    private final List<RandomAccessFile> files = new ArrayList<>();
    private final KeyHashes lastChange = new KeyHashes();
    private final Map<Long, EtcdSnapshot.Lease> leases;
    private final long revision;
    private final long changes;

    /**
     * @param deltas     the plain delta files, in chain order
     * @param toRevision the last revision to apply, or {@link Long#MAX_VALUE} with {@code toTime}
     * @param toTime     changes received after it are not applied; null for a target revision
     */
    public PointInTimeState(Path snapshotFile, List<Path> deltas, long toRevision, Instant toTime) {
        this.snapshot = new SnapshotState(snapshotFile);
        this.leases = snapshot.leases();
        long from = snapshot.revision();
        long reached = from;
        long applied = 0;
        try {
            outer:
            for (int index = 0; index < deltas.size(); index++) {
                files.add(new RandomAccessFile(deltas.get(index).toFile(), "r"));
                try (DeltaFile.Reader reader = DeltaFile.Reader.open(deltas.get(index))) {
                    DeltaEvent event;
                    while ((event = reader.next()) != null) {
                        if (event.revision() <= from) {
                            continue;
                        }
                        if (event.revision() > toRevision || toTime != null && event.time().isAfter(toTime)) {
                            break outer;
                        }
                        lastChange.put(KeyHashes.of(event.key()), ((long) index << OFFSET_BITS) | reader.lastEventOffset());
                        if (event.lease() != 0 && !leases.containsKey(event.lease())) {
                            leases.put(event.lease(), new EtcdSnapshot.Lease(event.lease(), event.leaseTtl(), 0));
                        }
                        reached = event.revision();
                        applied++;
                    }
                }
            }
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("cannot read the deltas of the point-in-time restore: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        this.revision = reached;
        this.changes = applied;
    }

    @Override
    public void forEachLive(byte[] prefix, Consumer<Entry> each) {
        KeyHashes seen = new KeyHashes();
        snapshot.forEachLive(prefix, entry -> {
            long hash = KeyHashes.of(entry.key());
            if (!lastChange.contains(hash)) {
                each.accept(entry);
                return;
            }
            seen.put(hash, 1);
            emit(lastChange.get(hash), prefix, each);
        });
        lastChange.forEach((hash, position) -> {
            if (!seen.contains(hash)) {
                emit(position, prefix, each);
            }
        });
    }

    private void emit(long position, byte[] prefix, Consumer<Entry> each) {
        DeltaEvent change;
        try {
            change = DeltaFile.eventAt(files.get((int) (position >>> OFFSET_BITS)), position & ((1L << OFFSET_BITS) - 1));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read a change from a delta file: " + e.getMessage(), e);
        }
        if (change.op() == DeltaEvent.Op.PUT && startsWith(change.key(), prefix)) {
            each.accept(new Entry(change.key(), change.value(), change.lease()));
        }
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public Map<Long, EtcdSnapshot.Lease> leases() {
        return leases;
    }

    /** The revision reached: the last change applied, or the snapshot's revision when none was. */
    @Override
    public long revision() {
        return revision;
    }

    /** Changes applied onto the snapshot. */
    public long changes() {
        return changes;
    }

    @Override
    public void close() {
        for (RandomAccessFile file : files) {
            try {
                file.close();
            } catch (IOException ignored) {
                // read-only files: nothing to lose
            }
        }
        snapshot.close();
    }
}
