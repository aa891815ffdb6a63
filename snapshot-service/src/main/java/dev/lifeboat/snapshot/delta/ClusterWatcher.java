package dev.lifeboat.snapshot.delta;

import dev.lifeboat.events.work.Backoff;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.access.store.ObjectStoreException;
import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.snapshot.SnapshotMetrics;
import dev.lifeboat.snapshot.etcd.EtcdWatch;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.WatchResponse;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.quarkus.logging.Log;

/**
 * The capture of one cluster, on a thread of its own: watches the whole keyspace from the chain's last
 * stored revision + 1 and writes the changes into a delta as they arrive, storing it once its period
 * elapsed or its size threshold is reached. A revision is never split between two deltas.
 *
 * <ul>
 * <li>etcd unreachable, or the watch broken: reconnect with back-off from the last revision received;
 * the open delta carries on.</li>
 * <li>S3 failing: the open delta is dropped (its upload aborted) and the watch starts again from the last
 * revision stored — etcd still has the changes; nothing is lost and nothing is stored twice.</li>
 * <li>etcd compacted the revisions the watch needs: the chain ends with a recorded gap (and a full
 * snapshot is requested); never a silent hole.</li>
 * <li>Another instance moved the chain on (a rebalance): what was buffered is dropped, the capture
 * continues from where the chain stands, or stops if it ended.</li>
 * <li>etcd reports another cluster id (its data was replaced by a REPLACE restore, which may count
 * revisions again): the chain ends with a recorded gap before a change of the new history enters it.</li>
 * </ul>
 */
final class ClusterWatcher {

    /** What every watcher shares: where and how deltas are stored. */
    record Settings(DeltaStore store, int flowControlWindow, Duration maxBackoff, SnapshotMetrics metrics, Tracer tracer,
            Duration fingerprintEvery) {
    }

    private static final int LEASE_CACHE = 10_000;
    /** How long an idle watcher waits for a response before it looks whether a delta is due and asks etcd how far it is. */
    private static final long IDLE_WAIT_MILLIS = 5_000;

    private final String clusterId;
    private final ClusterSpec spec;
    private final Settings settings;
    private final Chains chains;
    private final Thread thread;
    private final Map<Long, Long> leaseTtls = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > LEASE_CACHE;
        }
    };

    /** The watch opened last (null before the first), which stop() wakes; waking one already closed does nothing. */
    private volatile EtcdWatch current;
    private volatile String chainId;
    private volatile String baseSnapshotId;
    private volatile Duration period;
    private volatile long maxBytes;
    private volatile boolean stopping;
    private volatile String endReason;
    private volatile CaptureState state = CaptureState.STARTING;
    private volatile String endpoint;
    private volatile long receivedRevision;
    private volatile long etcdRevision;
    private volatile long storedRevision;
    private volatile Instant lastReceivedAt;
    private volatile Instant lastStoredAt;
    private volatile String lastError;
    /** When the capture last recorded a keyspace fingerprint with a delta (null: not yet). */
    private Instant lastFingerprintAt;
    /** etcd's cluster id as the first response reported it: a REPLACE restore gives the cluster a new one. */
    private long etcdClusterId;
    private DeltaStore.Open open;

    ClusterWatcher(String clusterId, ClusterSpec spec, ChainRecord chain, DeltaPolicyRecord policy, Chains chains, Settings settings) {
        this.clusterId = clusterId;
        this.spec = spec;
        this.chains = chains;
        this.settings = settings;
        this.chainId = chain.id;
        this.baseSnapshotId = chain.baseSnapshotId;
        this.receivedRevision = chain.lastRevision;
        this.storedRevision = chain.lastRevision;
        apply(policy);
        this.thread = new Thread(this::run, "delta-capture-" + clusterId);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Takes a changed period or threshold from the next delta on. */
    void apply(DeltaPolicyRecord policy) {
        this.period = Duration.ofSeconds(policy.periodSeconds);
        this.maxBytes = policy.maxBytes;
    }

    String chainId() {
        return chainId;
    }

    boolean alive() {
        return thread.isAlive();
    }

    /**
     * Stops: what is buffered is stored first; with an {@code endReason} the chain then ends (a pause, the
     * capture turned off), without one it stays for the next owner (a rebalance, a shutdown). Waits up to
     * {@code wait}.
     */
    void stop(String endReason, Duration wait) {
        this.endReason = endReason;
        this.stopping = true;
        EtcdWatch watching = current;
        if (watching != null) {
            watching.wake();
        }
        try {
            thread.join(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            Log.warnf("delta capture of cluster %s did not stop within %d s", clusterId, wait.toSeconds());
            thread.interrupt();
        }
    }

    CaptureStatus status() {
        DeltaStore.Open current = open;
        return new CaptureStatus(clusterId, chainId, state.name(), endpoint, receivedRevision, etcdRevision, storedRevision,
                current == null ? 0 : current.events(), current == null ? 0 : current.rawBytes(), lastReceivedAt, lastStoredAt, lastError);
    }

    private void run() {
        Duration backoff = Duration.ofSeconds(1);
        try {
            while (!stopping) {
                try {
                    if (watch()) {
                        return;
                    }
                    backoff = Duration.ofSeconds(1);
                } catch (Chains.ContinuityLostException e) {
                    Log.infof("delta capture of cluster %s: %s; continuing from the chain's state", clusterId, e.getMessage());
                    drop();
                    if (!resync()) {
                        return;
                    }
                } catch (EtcdRejectedException | EtcdUnavailableException e) {
                    failed(e.getMessage());
                    pause(backoff);
                    backoff = longer(backoff);
                } catch (ObjectStoreException | IOException e) {
                    failed("cannot store a delta: " + e.getMessage() + "; the watch starts again from revision " + (storedRevision + 1));
                    drop();
                    pause(backoff);
                    backoff = longer(backoff);
                    if (!resync()) {
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            Log.errorf(e, "delta capture of cluster %s stopped unexpectedly", clusterId);
            lastError = e.toString();
        } finally {
            finishStopping();
        }
    }

    /** Watches until stopped (false) or until the chain ended with a gap (true). */
    private boolean watch() throws IOException, InterruptedException {
        try (EtcdWatch watch = EtcdWatch.open(clusterId, spec, receivedRevision + 1, settings.flowControlWindow())) {
            endpoint = watch.endpoint();
            current = watch; // set before the loop reads stopping: a stop() that saw null is seen there
            state = CaptureState.WATCHING;
            lastError = null;
            Log.infof("delta capture of cluster %s: chain %s watches %s from revision %d", clusterId, chainId, endpoint, receivedRevision + 1);
            long lastProgress = System.nanoTime();
            while (!stopping) {
                // Idle, the watcher wakes every IDLE_WAIT (stop() wakes it at once): a delta falls due, or it asks etcd how far
                // the watch is. Under writes, responses come far more often and no progress is asked for.
                WatchResponse response = watch.poll(Math.min(IDLE_WAIT_MILLIS, untilDue()));
                if (response == null) {
                    if (due()) {
                        store(watch);
                    }
                    if (System.nanoTime() - lastProgress >= IDLE_WAIT_MILLIS * 1_000_000L) {
                        watch.requestProgress();
                        lastProgress = System.nanoTime();
                    }
                    continue;
                }
                if (response.getCanceled()) {
                    if (response.getCompactRevision() > 0) {
                        store(null);
                        String reason = "etcd compacted revisions up to " + response.getCompactRevision() + " before the capture read revision "
                                + (receivedRevision + 1);
                        ClaimedWork.await(() -> chains.gap(chainId, response.getCompactRevision(), reason));
                        settings.metrics().gap(clusterId);
                        state = CaptureState.GAP;
                        lastError = reason;
                        return true;
                    }
                    throw new EtcdUnavailableException("etcd at " + endpoint + " canceled the watch of cluster '" + clusterId + "': "
                            + response.getCancelReason(), null);
                }
                if (replaced(response.getHeader().getClusterId())) {
                    // no fingerprint: the member now holds other data than the delta's revisions
                    store(null);
                    String reason = "etcd's cluster id changed from " + Long.toHexString(etcdClusterId) + " to "
                            + Long.toHexString(response.getHeader().getClusterId()) + ": its data was replaced (a REPLACE restore?), and its "
                            + "revisions no longer continue the chain";
                    ClaimedWork.await(() -> chains.gap(chainId, null, reason));
                    settings.metrics().gap(clusterId);
                    state = CaptureState.GAP;
                    lastError = reason;
                    return true;
                }
                etcdRevision = Math.max(etcdRevision, response.getHeader().getRevision());
                if (response.getEventsCount() > 0) {
                    Instant now = Instant.now();
                    for (Event event : response.getEventsList()) {
                        append(event, now, watch);
                    }
                    lastReceivedAt = now;
                }
                if (open != null && (open.rawBytes() >= maxBytes || due())) {
                    store(watch);
                }
                watch.next();
            }
            return false;
        }
    }

    /** Whether etcd now reports another cluster id than the one this capture started with. */
    private boolean replaced(long clusterId) {
        if (clusterId == 0) {
            return false;
        }
        if (etcdClusterId == 0) {
            etcdClusterId = clusterId;
            return false;
        }
        return clusterId != etcdClusterId;
    }

    private void append(Event event, Instant now, EtcdWatch watch) throws IOException {
        KeyValue kv = event.getKv();
        long revision = kv.getModRevision();
        if (open == null) {
            open = settings.store().open(clusterId, spec, new DeltaFile.Header(clusterId, chainId, storedRevision), now);
        }
        DeltaEvent change;
        if (event.getType() == Event.EventType.DELETE) {
            byte[] previous = event.hasPrevKv() ? event.getPrevKv().getValue().toByteArray() : null;
            change = DeltaEvent.delete(revision, kv.getKey().toByteArray(), previous, now);
        } else {
            long lease = kv.getLease();
            long ttl = lease == 0 ? 0 : leaseTtls.computeIfAbsent(lease, watch::grantedTtl);
            change = DeltaEvent.put(revision, kv.getKey().toByteArray(), kv.getValue().toByteArray(), kv.getCreateRevision(), kv.getVersion(),
                    lease, ttl, now);
        }
        open.write(change);
        receivedRevision = revision;
    }

    /**
     * Stores the open delta, if it has changes, and moves the chain on; with the keyspace fingerprint at its last revision
     * from {@code member} when one is due (null: none, e.g. the member's data was replaced or the capture is stopping).
     */
    private void store(EtcdWatch member) throws IOException, InterruptedException {
        if (open == null || open.events() == 0) {
            return;
        }
        DeltaStore.Open delta = open;
        Span span = settings.tracer().spanBuilder("delta " + clusterId).setNoParent().setAttribute("lifeboat.cluster.id", clusterId)
                .setAttribute("lifeboat.delta.chain", chainId).startSpan();
        SnapshotCompleted completed;
        try (Scope scope = span.makeCurrent()) {
            try {
                completed = delta.finish(baseSnapshotId);
            } catch (IOException | RuntimeException e) {
                delta.abort();
                throw e;
            }
            span.setAttribute("lifeboat.snapshot.id", completed.snapshotId()).setAttribute("lifeboat.delta.first_revision", completed.firstRevision())
                    .setAttribute("lifeboat.snapshot.revision", completed.revision()).setAttribute("lifeboat.snapshot.bytes", completed.rawSize());
            completed = withFingerprint(completed, member);
            SnapshotCompleted announced = completed;
            try {
                ClaimedWork.await(() -> chains.append(announced));
            } catch (Chains.ContinuityLostException e) {
                settings.store().remove(completed);
                throw e;
            }
        } catch (Exception e) {
            span.setStatus(StatusCode.ERROR, e.getMessage() == null ? e.toString() : e.getMessage());
            throw e;
        } finally {
            span.end();
        }
        open = null;
        storedRevision = completed.revision();
        lastStoredAt = completed.completedAt();
        settings.metrics().completed(clusterId, "delta", Duration.between(completed.startedAt(), completed.completedAt()), completed.rawSize(),
                completed.storedSize());
        Log.debugf("delta %s of cluster %s: revisions %d-%d, %d changes", completed.snapshotId(), clusterId, completed.firstRevision(),
                completed.revision(), completed.delta().events());
    }

    /**
     * The delta with the member's keyspace fingerprint at its last revision, when the last one is {@code fingerprint-every}
     * ago; without one when the member cannot give it (the revision was compacted already, etcd is busy): the delta is
     * stored either way, and a point-in-time drill checks the nearest delta that has one.
     */
    private SnapshotCompleted withFingerprint(SnapshotCompleted completed, EtcdWatch member) {
        Instant now = Instant.now();
        if (member == null || lastFingerprintAt != null && now.isBefore(lastFingerprintAt.plus(settings.fingerprintEvery()))) {
            return completed;
        }
        try {
            SnapshotCompleted.KeyspaceFingerprint fingerprint = member.fingerprint(completed.revision());
            lastFingerprintAt = now;
            Span.current().setAttribute("lifeboat.snapshot.kv_hash", fingerprint.hash());
            return completed.withKeyspace(fingerprint);
        } catch (EtcdUnavailableException e) {
            Log.warnf("delta %s of cluster %s: no keyspace fingerprint recorded at revision %d: %s", completed.snapshotId(), clusterId,
                    completed.revision(), e.getMessage());
            return completed;
        }
    }

    private boolean due() {
        return open != null && open.events() > 0 && !Instant.now().isBefore(open.openedAt().plus(period));
    }

    private long untilDue() {
        return open == null ? Long.MAX_VALUE : Math.max(0, Duration.between(Instant.now(), open.openedAt().plus(period)).toMillis());
    }

    private void drop() {
        if (open != null) {
            open.abort();
            open = null;
        }
    }

    /** Reloads the chain: continues from its last stored revision, or returns false when it is no longer ACTIVE. */
    private boolean resync() throws IOException, InterruptedException {
        ChainRecord chain = ClaimedWork.await(() -> chains.load(chainId));
        if (chain == null || chain.state != ChainRecord.State.ACTIVE) {
            state = CaptureState.ENDED;
            return false;
        }
        storedRevision = chain.lastRevision;
        receivedRevision = chain.lastRevision;
        return true;
    }

    private void finishStopping() {
        try {
            if (!Thread.currentThread().isInterrupted() && state != CaptureState.GAP) {
                store(null);
            }
        } catch (Exception e) {
            Log.warnf("delta capture of cluster %s: the last delta could not be stored (%s); the next capture reads its changes again",
                    clusterId, e.getMessage());
            drop();
        }
        if (endReason != null && state != CaptureState.GAP) {
            try {
                ClaimedWork.await(() -> chains.end(chainId, endReason));
            } catch (RuntimeException e) {
                Log.warnf("delta capture of cluster %s: chain %s could not be ended: %s", clusterId, chainId, e.getMessage());
            }
        }
        if (state != CaptureState.GAP) {
            state = CaptureState.STOPPED;
        }
    }

    private void failed(String message) {
        if (!message.equals(lastError)) {
            Log.warnf("delta capture of cluster %s: %s", clusterId, message);
        }
        lastError = message;
        state = CaptureState.RETRYING;
    }

    private void pause(Duration backoff) throws InterruptedException {
        long until = System.nanoTime() + backoff.toNanos();
        while (!stopping && System.nanoTime() < until) {
            Thread.sleep(100);
        }
    }

    private Duration longer(Duration backoff) {
        return Backoff.doubled(backoff, settings.maxBackoff());
    }
}
