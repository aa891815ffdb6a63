package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.member.MemberRestoreException;
import dev.lifeboat.agent.member.SnapshotDownload;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.events.EventCodec;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Keeps etcd from starting on a data dir that lost the member's data. etcd started with
 * {@code --initial-cluster-state new} on an empty data dir becomes a new, empty cluster: a member whose disk was
 * wiped or replaced would serve nothing, and with one member the cluster's data would be gone. So:
 * <ul>
 * <li>once etcd served healthy, the agent records that the member holds data ({@code member-served.json} in its
 * state dir: the etcd cluster id, the revision, when);</li>
 * <li>before every start it checks the data dir: a member that served data must have a database
 * ({@code member/snap/db}), and the database must be a consistent etcd bbolt file (every page, bucket and
 * key-value readable; snapshot-format does what {@code etcdutl snapshot status} reads);</li>
 * <li>when the check fails etcd is not started; the reason is what the agent reports (readiness, {@code GET
 * /api/v1/member}) until the data dir is fixed or restored (a REPLACE restore writes a new one), then etcd starts.
 * A new member (never served) may start on an empty dir — unless self-healing is on ({@code lifeboat.agent.self-heal},
 * one-member clusters) and the catalog holds a completed full snapshot of the cluster, or cannot be asked: a fresh
 * volume under a cluster that has backups is restored, not started empty.</li>
 * </ul>
 */
@ApplicationScoped
public class DataDirGuard {

    /** What the agent last saw the member serve. */
    public record Served(String clusterId, String memberName, String etcdClusterId, long revision, Instant at) {
    }

    private final AgentConfig config;
    private final SnapshotDownload catalog;

    public DataDirGuard(AgentConfig config, SnapshotDownload catalog) {
        this.config = config;
        this.catalog = catalog;
    }

    /** Whether this agent heals its member by itself: self-heal is on and the cluster has one member. */
    public boolean selfHealing() {
        return config.selfHeal() && oneMember();
    }

    private boolean oneMember() {
        return config.etcd().initialCluster().map(cluster -> !cluster.contains(",")).orElse(true);
    }

    /** Why etcd must not start on {@code dataDir}, or empty when it may. */
    public Optional<String> check(Path dataDir) {
        if (!config.checkDataDir()) {
            return Optional.empty();
        }
        Optional<Served> served = served();
        Path db = dataDir.resolve("member/snap/db");
        if (!Files.isRegularFile(db) && served.isEmpty() && selfHealing()) {
            return freshVolume(dataDir);
        }
        if (!Files.isRegularFile(db)) {
            return served.map(s -> "the data dir " + dataDir + " has no database (member/snap/db), but member " + s.memberName()
                    + " served etcd cluster " + s.etcdClusterId() + " up to revision " + s.revision() + " (seen " + s.at() + "): started "
                    + "on it, etcd would become a new empty cluster. Restore the member (lifeboat restore --mode REPLACE), or put its data "
                    + "dir back; to start it empty on purpose, delete " + servedFile());
        }
        long started = System.nanoTime();
        long revision;
        try (EtcdSnapshot database = EtcdSnapshot.open(db)) {
            revision = database.storeRevision(database.checkDatabase());
        } catch (SnapshotFormatException e) {
            return Optional.of("the database " + db + " is corrupt (" + e.getMessage() + "); etcd is not started on it. Restore the "
                    + "member (lifeboat restore --mode REPLACE), which sets this data dir aside");
        }
        Log.debugf("data dir %s checked in %d ms", dataDir, (System.nanoTime() - started) / 1_000_000);
        return olderThanItsBackup(dataDir, revision);
    }

    /**
     * A one-member cluster's database at a lower revision than the catalog's newest completed full snapshot of the same etcd
     * cluster: that snapshot was taken from this data dir (its only member), and etcd commits its database before it sends
     * a snapshot, so the database cannot be older unless it is an older copy — writes were lost. Not refused when the
     * catalog cannot be asked (the member would otherwise depend on snapshot-service to start) or the WAL names no cluster.
     */
    private Optional<String> olderThanItsBackup(Path dataDir, long revision) {
        if (!config.checkRevision() || !oneMember()) {
            return Optional.empty();
        }
        Optional<WalMetadata> wal = WalMetadata.read(dataDir);
        if (wal.isEmpty()) {
            return Optional.empty();
        }
        Optional<SnapshotDownload.Newest> newest;
        try {
            newest = catalog.newestFull(config.clusterId());
        } catch (MemberRestoreException e) {
            Log.warnf("member %s: the data dir's revision is not compared with the catalog: %s", config.memberName(), e.getMessage());
            return Optional.empty();
        }
        return newest.filter(snapshot -> wal.get().clusterIdHex().equals(snapshot.etcdClusterId()) && snapshot.revision() > revision)
                .map(snapshot -> "the database in " + dataDir + " is at revision " + revision + ", older than snapshot " + snapshot.id()
                        + " (revision " + snapshot.revision() + ", completed " + snapshot.completedAt() + ") taken from this data dir's etcd "
                        + "cluster " + snapshot.etcdClusterId() + ": writes were lost (an older copy of the disk?), and etcd is not started "
                        + "on it. Restore the member (lifeboat restore --mode REPLACE, or self-heal), or put the newer data dir back; to "
                        + "start it anyway, set lifeboat.agent.check-revision=false");
    }

    /** An empty data dir and no record of serving, with self-healing on: refused when the cluster has backups, or may have. */
    private Optional<String> freshVolume(Path dataDir) {
        try {
            return catalog.newestFull(config.clusterId()).map(newest -> "the data dir " + dataDir + " has no database and no record says "
                    + "member " + config.memberName() + " served, but cluster " + config.clusterId() + " has backups (newest: snapshot "
                    + newest.id() + " at revision " + newest.revision() + "): self-healing restores the member from it instead of "
                    + "starting a new empty cluster");
        } catch (MemberRestoreException e) {
            return Optional.of("the data dir " + dataDir + " has no database and no record says member " + config.memberName() + " served; "
                    + "with self-healing on, etcd is not started empty while the catalog cannot say whether cluster " + config.clusterId()
                    + " has backups (" + e.getMessage() + "). To start it empty on purpose, set lifeboat.agent.self-heal=false");
        }
    }

    /** What the member was last seen serving, if it ever served. */
    public Optional<Served> served() {
        Path file = servedFile();
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(EventCodec.json().readValue(file.toFile(), Served.class));
        } catch (IOException e) {
            // A record that cannot be read still says the member served: refuse an empty dir rather than start it blank.
            return Optional.of(new Served(config.clusterId(), config.memberName(), "(unreadable record)", 0, Instant.EPOCH));
        }
    }

    /** Records that etcd serves the member's data (written atomically; only when something changed). */
    public void recordServed(EtcdSupervisor.Status status) {
        Optional<Served> before = served();
        if (before.isPresent() && before.get().etcdClusterId().equals(status.clusterId()) && before.get().revision() == status.revision()) {
            return;
        }
        Served now = new Served(config.clusterId(), config.memberName(), status.clusterId(), status.revision(), Instant.now());
        Path file = servedFile();
        try {
            Files.createDirectories(file.getParent());
            Path written = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(written, EventCodec.json().writeValueAsBytes(now));
            Files.move(written, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            Log.warnf("cannot record that member %s serves data (%s): %s", config.memberName(), file, e.getMessage());
        }
    }

    private Path servedFile() {
        return Path.of(config.stateDir().orElse(config.etcd().dataDir() + ".agent")).toAbsolutePath().resolve("member-served.json");
    }
}
