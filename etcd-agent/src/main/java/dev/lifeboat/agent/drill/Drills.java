package dev.lifeboat.agent.drill;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.agent.etcd.DeltaReplay;
import dev.lifeboat.agent.etcd.EtcdProcessException;
import dev.lifeboat.agent.etcd.RestoreTool;
import dev.lifeboat.agent.member.MemberRestoreException;
import dev.lifeboat.agent.member.SnapshotDownload;
import dev.lifeboat.agent.messaging.Replies;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.HashTrailer;
import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.etcdsnapshot.KeyValue;
import dev.lifeboat.events.DrillCompleted;
import dev.lifeboat.events.DrillFailed;
import dev.lifeboat.events.DrillTimes;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.LifeboatEvent;
import dev.lifeboat.events.RunDrill;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.maintenance.HashKVResponse;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.GetOption;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Restore drills on this agent's host: a snapshot fetched as a restore fetches it, restored by the member's own etcd
 * restore tool into {@code <drill-dir>/<drill id>/}, started as a {@link ScratchEtcd}, and compared with what the source
 * member said at backup time — etcd's {@code HashKV} and key count at the snapshot's revision — and a sample of keys read
 * back through the etcd API against the snapshot file. The member and its data dir are never touched.
 *
 * <p>One drill at a time, on a thread of its own (a long drill never delays a restore command). The drill's directory
 * and scratch etcd go when it ends, whatever the outcome; one a crash interrupted is removed at the next start, and the
 * requester's retry runs it again.
 */
@ApplicationScoped
public class Drills {

    private final AgentConfig config;
    private final SnapshotDownload download;
    private final RestoreTool tool;
    private final DeltaReplay replay;
    private final Replies replies;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "restore-drill");
        thread.setDaemon(true);
        return thread;
    });
    private final Set<String> queued = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Whether this run removed what interrupted drills left ({@link #sweepOnce}). */
    private boolean swept;

    public Drills(AgentConfig config, SnapshotDownload download, RestoreTool tool, DeltaReplay replay, Replies replies) {
        this.config = config;
        this.download = download;
        this.tool = tool;
        this.replay = replay;
        this.replies = replies;
    }

    /** Where drills work: {@code lifeboat.agent.drill-dir}, default beside the member's data dir. */
    public Path dir() {
        return Path.of(config.drillDir().orElse(config.etcd().dataDir() + ".drills")).toAbsolutePath();
    }

    void onStart(@Observes StartupEvent event) {
        sweepOnce();
    }

    /**
     * Removes an earlier run's leftovers once, before this run's first drill, whichever comes first: the startup event, or
     * the first drill on the worker (a restarted agent takes its partitions back at once, so a drill command can be
     * delivered before the startup event's sweep; a sweep after it started deleted the running drill's directory and
     * stopped its scratch etcd).
     */
    private synchronized void sweepOnce() {
        if (!swept) {
            sweep();
            swept = true;
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        worker.shutdownNow();
    }

    /** Removes what interrupted drills left: their scratch etcd (if that pid is still an etcd) and their directory. */
    private void sweep() {
        Path root = dir();
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> leftovers = Files.list(root)) {
            for (Path drill : leftovers.toList()) {
                stopLeftoverEtcd(drill.resolve("etcd.pid"));
                deleteTree(drill);
                Log.infof("removed the leftovers of an interrupted restore drill: %s", drill);
            }
        } catch (IOException e) {
            Log.warnf("cannot clean the drill dir %s: %s", root, e.getMessage());
        }
    }

    private static void stopLeftoverEtcd(Path pidFile) {
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            ProcessHandle.of(pid).filter(p -> p.info().command().map(c -> c.endsWith("etcd")).orElse(false)).ifPresent(p -> {
                p.destroyForcibly();
                try {
                    p.onExit().get(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (ExecutionException | TimeoutException e) {
                    Log.warnf("the leftover scratch etcd %d did not exit", pid);
                }
                Log.infof("stopped the scratch etcd (pid %d) of an interrupted restore drill", pid);
            });
        } catch (IOException | NumberFormatException e) {
            Log.debugf("no usable pid in %s: %s", pidFile, e.getMessage());
        }
    }

    /** Queues the drill (once per drill id while it waits or runs); its verdict is sent when it ends. */
    public void submit(RunDrill drill) {
        if (!queued.add(drill.drillId())) {
            Log.infof("restore drill %s is already queued or running here", drill.drillId());
            return;
        }
        worker.submit(() -> {
            try {
                sweepOnce();
                LifeboatEvent verdict = run(drill);
                replies.send(verdict, replySeed(drill, verdict instanceof DrillFailed failed ? failed.stage() : "completed"));
            } catch (RuntimeException e) {
                Log.errorf(e, "restore drill %s could not be answered", drill.drillId());
            } finally {
                queued.remove(drill.drillId());
            }
        });
    }

    /**
     * The seed of a reply's event id: one per attempt (each RunDrill of a drill has its own {@code expiresAt}) and outcome,
     * so that restore-service's idempotent consumer does not take the verdict of one attempt for a duplicate of another's
     * refusal.
     */
    public static String replySeed(RunDrill drill, String outcome) {
        return drill.drillId() + "/" + outcome + "/" + (drill.expiresAt() == null ? "no-expiry" : drill.expiresAt().toEpochMilli());
    }

    /** Runs the drill here and now; the verdict, never an exception for a bad snapshot. */
    public LifeboatEvent run(RunDrill drill) {
        Path work = Ids.under(dir(), "", drill.drillId(), "");
        Measured measured = new Measured();
        String stage = "fetch";
        try {
            deleteTree(work);
            Files.createDirectories(work);
            String noRoom = DiskBudget.shortfall(work, drill.rawSize() < 0 ? 0 : 2 * drill.rawSize(), config.drillKeepFree().asLongValue());
            if (noRoom != null) {
                return failed(drill, "no-room", noRoom, measured);
            }
            Path db = work.resolve("snapshot.db");
            long begin = System.nanoTime();
            HashTrailer trailer = new HashTrailer();
            measured.dbBytes = download.fetch(drill.snapshotId(), db, trailer);
            measured.fetch = millisSince(begin);
            String fetched;
            try {
                fetched = trailer.finish().sha256();
            } catch (SnapshotFormatException e) {
                throw new DrillMismatch("snapshot " + drill.snapshotId() + " as fetched from its stored object is not intact: " + e.getMessage());
            }
            if ((drill.rawSize() >= 0 && measured.dbBytes != drill.rawSize()) || !fetched.equalsIgnoreCase(drill.rawSha256())) {
                throw new DrillMismatch("snapshot " + drill.snapshotId() + " as fetched from its stored object (" + measured.dbBytes
                        + " bytes, SHA-256 " + fetched + ") is not the etcd db that was backed up (" + drill.rawSize() + " bytes, SHA-256 "
                        + drill.rawSha256() + "): the stored object was changed or damaged after the backup");
            }

            // the restored data dir is about the db's size again (the size was not known before the fetch when rawSize is -1)
            noRoom = drill.rawSize() >= 0 ? null : DiskBudget.shortfall(work, measured.dbBytes, config.drillKeepFree().asLongValue());
            if (noRoom != null) {
                return failed(drill, "no-room", noRoom, measured);
            }
            begin = System.nanoTime();
            if (!drill.deltaIds().isEmpty()) {
                stage = "replay";
                db = replayed(drill, db, work);
            }
            stage = "restore";
            int[] ports = ScratchEtcd.freePorts(Set.of(port(config.etcd().clientUrl()), port(config.etcd().peerUrl())));
            Path data = work.resolve("data");
            tool.restoreAlone(db, data, "drill", "http://127.0.0.1:" + ports[1], "drill-" + drill.drillId());
            measured.restore = millisSince(begin);

            stage = "start";
            begin = System.nanoTime();
            try (ScratchEtcd etcd = ScratchEtcd.start(config.etcd().binary(), data, "drill", ports[0], ports[1], config.healthTimeout())) {
                measured.start = millisSince(begin);
                stage = "verify";
                begin = System.nanoTime();
                Verified verified = verify(drill, etcd.endpoint(), db);
                measured.verify = millisSince(begin);
                Log.infof("restore drill %s: snapshot %s of cluster %s restored and served %d keys at revision %d%s; fetch %d ms, restore %d ms, "
                        + "start %d ms", drill.drillId(), drill.snapshotId(), drill.clusterId(), verified.fingerprint.keys(), drill.revision(),
                        drill.expected() == null ? " (no recorded hash)" : " with the recorded hash", measured.fetch, measured.restore,
                        measured.start);
                return new DrillCompleted(drill.drillId(), drill.clusterId(), config.memberName(), drill.snapshotId(), drill.revision(),
                        verified.fingerprint, drill.expected() != null, verified.sampled, verified.version, measured.times(), Instant.now());
            }
        } catch (DrillMismatch | MemberRestoreException | EtcdProcessException e) {
            return failed(drill, stage, e.getMessage(), measured);
        } catch (IOException e) {
            return failed(drill, stage, "the drill's directory " + work + ": " + e.getMessage(), measured);
        } catch (RuntimeException e) {
            Log.errorf(e, "restore drill %s failed unexpectedly at %s", drill.drillId(), stage);
            return failed(drill, stage, e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()), measured);
        } finally {
            deleteTree(work);
        }
    }

    /**
     * A point-in-time drill: the deltas fetched and replayed onto the fetched snapshot up to the drill's revision, exactly as a
     * point-in-time REPLACE does it (keeping etcd's revisions, so HashKV can agree with the source's); the snapshot file of
     * the result, which the snapshot's own file gives way to.
     */
    private Path replayed(RunDrill drill, Path snapshot, Path work) {
        DeltaReplay.Outcome outcome;
        try {
            outcome = replay.replay(snapshot, drill.deltaIds(), drill.revision(), work.resolve("replay"), download::fetch);
        } catch (EtcdProcessException | MemberRestoreException e) {
            throw new DrillMismatch("the deltas of snapshot " + drill.snapshotId() + " up to revision " + drill.revision() + " could not be "
                    + "replayed: " + e.getMessage());
        }
        if (outcome.revision() != drill.revision()) {
            throw new DrillMismatch("the " + drill.deltaIds().size() + " deltas replayed onto snapshot " + drill.snapshotId() + " reach revision "
                    + outcome.revision() + ", not " + drill.revision() + " where their last delta ends: a delta is missing changes");
        }
        deleteTree(snapshot);
        Log.infof("restore drill %s: %d deltas replayed onto snapshot %s up to revision %d (%d changes in %.1f s)", drill.drillId(),
                drill.deltaIds().size(), drill.snapshotId(), outcome.revision(), outcome.changes(), outcome.seconds());
        return outcome.snapshot();
    }

    private DrillFailed failed(RunDrill drill, String stage, String reason, Measured measured) {
        Log.warnf("restore drill %s of snapshot %s failed at %s: %s", drill.drillId(), drill.snapshotId(), stage, reason);
        return new DrillFailed(drill.drillId(), drill.clusterId(), config.memberName(), drill.snapshotId(), stage, reason, measured.times(),
                Instant.now());
    }

    private record Verified(KeyspaceFingerprint fingerprint, long sampled, String version) {
    }

    /** The comparison: revision, HashKV under the recorded compaction, key count, and a sample of keys and values. */
    private Verified verify(RunDrill drill, String endpoint, Path db) throws DrillMismatch {
        try (Client client = Client.builder().endpoints(endpoint).build()) {
            String version = client.getMaintenanceClient().statusMember(endpoint).get(30, TimeUnit.SECONDS).getVersion();
            long served = client.getKVClient().get(ByteSequence.from(new byte[] {0})).get(30, TimeUnit.SECONDS).getHeader().getRevision();
            if (served < drill.revision()) {
                throw new DrillMismatch("the restored snapshot " + drill.snapshotId() + " serves revision " + served + ", but the catalog recorded "
                        + "revision " + drill.revision() + " for it: the stored object is not the snapshot that was backed up");
            }
            KeyspaceFingerprint observed = fingerprint(client, endpoint, drill.revision());
            KeyspaceFingerprint expected = drill.expected();
            if (expected != null && expected.compactRevision() > observed.compactRevision() && expected.compactRevision() <= drill.revision()) {
                // the source compacted between the snapshot and its hash: compare under the same compaction
                client.getKVClient().compact(expected.compactRevision(), CompactOption.newBuilder().withCompactPhysical(true).build())
                        .get(5, TimeUnit.MINUTES);
                observed = fingerprint(client, endpoint, drill.revision());
            }
            if (expected != null && observed.keys() != expected.keys()) {
                throw new DrillMismatch("the restored snapshot " + drill.snapshotId() + " holds " + observed.keys() + " keys at revision "
                        + drill.revision() + ", but the source member held " + expected.keys() + " when it was backed up");
            }
            if (expected != null && observed.hash() != expected.hash()) {
                throw new DrillMismatch("the restored snapshot " + drill.snapshotId() + " hashes to " + observed.hash() + " at revision "
                        + drill.revision() + " (etcd HashKV, compacted at " + observed.compactRevision() + "), but the source member's hash "
                        + "at backup time was " + expected.hash() + " (compacted at " + expected.compactRevision() + "): the keys or values "
                        + "differ from what was backed up");
            }
            long sampled = sample(client, drill, db, observed.keys());
            return new Verified(observed, sampled, version);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new DrillMismatch("the scratch etcd did not answer the drill's reads at revision " + drill.revision() + ": " + cause.getMessage());
        } catch (TimeoutException e) {
            throw new DrillMismatch("the scratch etcd did not answer the drill's reads in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DrillMismatch("interrupted while comparing the keyspace");
        }
    }

    private static KeyspaceFingerprint fingerprint(Client client, String endpoint, long revision)
            throws InterruptedException, ExecutionException, TimeoutException {
        HashKVResponse hash = client.getMaintenanceClient().hashKV(endpoint, revision).get(5, TimeUnit.MINUTES);
        long keys = client.getKVClient().get(ByteSequence.from(new byte[] {0}), GetOption.builder().withRange(ByteSequence.from(new byte[] {0}))
                .withRevision(revision).withCountOnly(true).build()).get(5, TimeUnit.MINUTES).getCount();
        return new KeyspaceFingerprint(Integer.toUnsignedLong(hash.getHash()), Math.max(0, hash.getCompacted()), keys);
    }

    /**
     * Reads up to {@code drill-sample} keys, spread evenly over the snapshot file's live keys, through the scratch etcd's
     * API at the revision, and compares each value with the file's: what a client would read after a REPLACE.
     */
    private long sample(Client client, RunDrill drill, Path db, long keys) throws InterruptedException, ExecutionException, TimeoutException {
        int wanted = config.drillSample();
        if (wanted <= 0 || keys == 0) {
            return 0;
        }
        long step = Math.max(1, keys / wanted);
        List<KeyValue> picked = new ArrayList<>();
        long[] index = {0};
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(db)) {
            snapshot.forEachLive(new byte[0], kv -> {
                if (index[0]++ % step == 0 && picked.size() < wanted) {
                    picked.add(kv);
                }
            });
        }
        for (KeyValue expected : picked) {
            GetResponse got = client.getKVClient().get(ByteSequence.from(expected.key()), GetOption.builder().withRevision(drill.revision()).build())
                    .get(30, TimeUnit.SECONDS);
            if (got.getKvs().isEmpty()) {
                throw new DrillMismatch("the restored etcd does not serve key " + printable(expected.key()) + " of snapshot " + drill.snapshotId()
                        + " at revision " + drill.revision());
            }
            if (!Arrays.equals(got.getKvs().get(0).getValue().getBytes(), expected.value())) {
                throw new DrillMismatch("the restored etcd serves another value for key " + printable(expected.key()) + " of snapshot "
                        + drill.snapshotId() + " than the snapshot file holds");
            }
        }
        return picked.size();
    }

    /** A key for a message: printable ASCII as it is, anything else escaped; at most 200 characters (never a value). */
    private static String printable(byte[] key) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < key.length && text.length() < 200; i++) {
            int b = key[i] & 0xff;
            text.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b));
        }
        return text.toString();
    }

    /** The comparison found the restored keyspace not to be what was backed up. */
    static final class DrillMismatch extends RuntimeException {
        DrillMismatch(String message) {
            super(message);
        }
    }

    private static final class Measured {
        long fetch;
        long restore;
        long start;
        long verify;
        long dbBytes;

        DrillTimes times() {
            return new DrillTimes(fetch, restore, start, verify, dbBytes);
        }
    }

    private static long millisSince(long begin) {
        return (System.nanoTime() - begin) / 1_000_000;
    }

    private static int port(String url) {
        URI uri = URI.create(url);
        return uri.getPort();
    }

    private static void deleteTree(Path dir) {
        try {
            DeltaReplay.deleteTree(dir);
        } catch (EtcdProcessException e) {
            Log.warnf("the drill's directory stays: %s", e.getMessage());
        }
    }
}
