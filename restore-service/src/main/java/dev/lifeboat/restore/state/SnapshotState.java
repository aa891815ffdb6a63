package dev.lifeboat.restore.state;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import dev.lifeboat.etcdsnapshot.EtcdSnapshot;

/** The live keys of a full snapshot file, read with snapshot-format. */
public final class SnapshotState implements KeyState {

    private final EtcdSnapshot snapshot;
    private final long revision;

    public SnapshotState(Path snapshotFile) {
        this.snapshot = EtcdSnapshot.open(snapshotFile);
        this.revision = snapshot.storeRevision(snapshot.status());
    }

    @Override
    public void forEachLive(byte[] prefix, Consumer<Entry> each) {
        snapshot.forEachLive(prefix, kv -> each.accept(new Entry(kv.key(), kv.value(), kv.lease())));
    }

    @Override
    public Map<Long, EtcdSnapshot.Lease> leases() {
        Map<Long, EtcdSnapshot.Lease> leases = new HashMap<>();
        snapshot.leases().forEach(lease -> leases.put(lease.id(), lease));
        return leases;
    }

    @Override
    public long revision() {
        return revision;
    }

    /** The snapshot itself, for what only it can answer. */
    EtcdSnapshot snapshot() {
        return snapshot;
    }

    @Override
    public void close() {
        snapshot.close();
    }
}
