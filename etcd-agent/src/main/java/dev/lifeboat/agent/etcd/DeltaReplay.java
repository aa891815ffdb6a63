package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.etcdsnapshot.DeltaEvent;
import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Point-in-time REPLACE: turns a full snapshot plus deltas into the snapshot of the keyspace at a target
 * revision, with etcd's own machinery, before the member's data dir is built from it:
 * <ol>
 * <li>the full snapshot is restored as a one-member cluster into a scratch dir, and a scratch etcd is
 * started on it on free loopback ports (it never meets the real members);</li>
 * <li>the deltas' changes are applied to it in revision order, <b>one transaction per revision</b>, so
 * every key gets the same mod revision, create revision and version it had, and the store ends at
 * exactly the target revision — checked after every transaction; a lease a change names is granted
 * with its id and recorded TTL, and every lease is kept alive while the replay runs, so that none
 * expires and deletes keys in between;</li>
 * <li>the scratch etcd's snapshot is saved (with etcd's hash trailer) and the scratch etcd removed.</li>
 * </ol>
 * The caller restores the member from the file this returns, as from any snapshot.
 */
@ApplicationScoped
public class DeltaReplay {

    /** A lease the deltas name without a recorded TTL gets this one: long enough for the restored cluster's owners to renew it. */
    private static final long UNKNOWN_LEASE_TTL = 3600;

    private final AgentConfig config;
    private final RestoreTool tool;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public DeltaReplay(AgentConfig config, RestoreTool tool) {
        this.config = config;
        this.tool = tool;
    }

    /** Fetches a delta's plain content to a file. */
    public interface Fetcher {
        void fetch(String deltaId, Path file);
    }

    /** What a replay did. */
    public record Outcome(Path snapshot, long revision, long revisions, long changes, double seconds) {
    }

    /**
     * Replays the deltas onto {@code fullSnapshot} up to {@code toRevision}, in {@code scratch} (which
     * must not be in use); returns the snapshot of the result, {@code scratch/replayed.db}.
     */
    public Outcome replay(Path fullSnapshot, List<String> deltaIds, long toRevision, Path scratch, Fetcher fetcher) {
        long begin = System.nanoTime();
        deleteTree(scratch);
        Path data = scratch.resolve("data");
        int clientPort = freePort();
        int peerPort = freePort();
        String clientUrl = "http://127.0.0.1:" + clientPort;
        String peerUrl = "http://127.0.0.1:" + peerPort;
        Set<Long> leases = ConcurrentHashMap.newKeySet();
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(fullSnapshot)) {
            snapshot.leases().forEach(lease -> leases.add(lease.id()));
        }
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot create the replay's scratch dir " + scratch + ": " + e.getMessage());
        }
        tool.restoreAlone(fullSnapshot, data, "replay", peerUrl, "lifeboat-replay");
        Process etcd = start(data, clientUrl, peerUrl, scratch.resolve("etcd.log"));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", clientPort).usePlaintext().flowControlWindow(16 << 20)
                .maxInboundMessageSize(64 << 20).build();
        KeepAlive keepAlive = null;
        try {
            awaitHealthy(clientUrl, etcd, scratch.resolve("etcd.log"));
            KVGrpc.KVBlockingStub kv = KVGrpc.newBlockingStub(channel);
            LeaseGrpc.LeaseBlockingStub lease = LeaseGrpc.newBlockingStub(channel);
            keepAlive = new KeepAlive(LeaseGrpc.newStub(channel), leases);
            long queued = kv.range(io.etcd.jetcd.api.RangeRequest.newBuilder().setKey(ByteString.copyFrom(new byte[] {0})).setCountOnly(true).build())
                    .getHeader().getRevision();
            Pipeline pipeline = new Pipeline(KVGrpc.newFutureStub(channel), queued);
            long revisions = 0;
            long changes = 0;
            for (String deltaId : deltaIds) {
                Path file = scratch.resolve(deltaId + ".delta");
                fetcher.fetch(deltaId, file);
                long[] applied = apply(file, deltaId, queued, toRevision, pipeline, lease, leases);
                queued = applied[0];
                revisions += applied[1];
                changes += applied[2];
                Files.deleteIfExists(file);
                if (queued >= toRevision) {
                    break;
                }
            }
            pipeline.drain();
            long current = pipeline.applied();
            if (current != toRevision) {
                throw new EtcdProcessException("the replay reached revision " + current + ", not the target revision " + toRevision
                        + ": the deltas do not cover it");
            }
            Path replayed = scratch.resolve("replayed.db");
            save(channel, replayed);
            double seconds = (System.nanoTime() - begin) / 1e9;
            Log.infof("replayed %d revisions (%d changes) onto the snapshot up to revision %d in %.1f s (%s)", revisions, changes, current, seconds,
                    pipeline.figures());
            return new Outcome(replayed, current, revisions, changes, seconds);
        } catch (StatusRuntimeException e) {
            throw new EtcdProcessException("the replay into the scratch etcd failed: " + e.getStatus().getCode() + " "
                    + e.getStatus().getDescription());
        } catch (IOException e) {
            throw new EtcdProcessException("the replay could not read or write its files: " + e.getMessage());
        } finally {
            if (keepAlive != null) {
                keepAlive.close();
            }
            channel.shutdownNow();
            stop(etcd);
            deleteTree(data);
        }
    }

    /**
     * Queues one delta's changes after {@code queued} up to {@code toRevision}, one transaction per
     * revision; returns the last revision queued, the revisions and the changes.
     */
    private static long[] apply(Path file, String deltaId, long queued, long toRevision, Pipeline pipeline, LeaseGrpc.LeaseBlockingStub lease,
            Set<Long> leases) throws IOException {
        long reached = queued;
        long revisions = 0;
        long changes = 0;
        try (DeltaFile.Reader reader = DeltaFile.Reader.open(file)) {
            List<DeltaEvent> txn = new ArrayList<>();
            DeltaEvent event;
            while (true) {
                event = reader.next();
                if (event != null && event.revision() <= reached && txn.isEmpty()) {
                    continue;
                }
                if (!txn.isEmpty() && (event == null || event.revision() != txn.get(0).revision())) {
                    List<RequestOp> ops = new ArrayList<>(txn.size());
                    for (DeltaEvent change : txn) {
                        ops.add(op(change, lease, leases));
                    }
                    pipeline.add(txn.get(0), ops, deltaId);
                    reached = txn.get(0).revision();
                    revisions++;
                    txn.clear();
                }
                if (event == null || event.revision() > toRevision) {
                    break;
                }
                if (txn.isEmpty() && event.revision() != reached + 1) {
                    throw new EtcdProcessException("delta " + deltaId + " continues at revision " + event.revision() + ", but the replay is at "
                            + reached + ": the chain has a gap");
                }
                txn.add(event);
                changes++;
            }
        }
        return new long[] {reached, revisions, changes};
    }

    private static RequestOp op(DeltaEvent event, LeaseGrpc.LeaseBlockingStub lease, Set<Long> leases) {
        ByteString key = ByteString.copyFrom(event.key());
        if (event.op() == DeltaEvent.Op.DELETE) {
            return RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)).build();
        }
        if (event.lease() != 0 && leases.add(event.lease())) {
            long ttl = event.leaseTtl() > 0 ? event.leaseTtl() : UNKNOWN_LEASE_TTL;
            lease.withDeadlineAfter(10, TimeUnit.SECONDS).leaseGrant(LeaseGrantRequest.newBuilder().setID(event.lease()).setTTL(ttl).build());
        }
        return RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(ByteString.copyFrom(event.value()))
                .setLease(event.lease())).build();
    }

    /** The scratch etcd's snapshot, with etcd's hash trailer, as etcdctl snapshot save writes it. */
    private static void save(ManagedChannel channel, Path file) throws IOException {
        Iterator<SnapshotResponse> stream = MaintenanceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.MINUTES)
                .snapshot(SnapshotRequest.getDefaultInstance());
        try (OutputStream out = Files.newOutputStream(file)) {
            while (stream.hasNext()) {
                stream.next().getBlob().writeTo(out);
            }
        }
    }

    private Process start(Path data, String clientUrl, String peerUrl, Path log) {
        List<String> command = new ArrayList<>(List.of(config.etcd().binary(), "--name", "replay", "--data-dir", data.toString(),
                "--listen-client-urls", clientUrl, "--advertise-client-urls", clientUrl, "--listen-peer-urls", peerUrl,
                "--initial-advertise-peer-urls", peerUrl, "--initial-cluster", "replay=" + peerUrl, "--initial-cluster-token", "lifeboat-replay",
                "--quota-backend-bytes", Long.toString(8L << 30)));
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new EtcdProcessException("cannot start the replay's scratch etcd (" + config.etcd().binary() + "): " + e.getMessage());
        }
    }

    private void awaitHealthy(String clientUrl, Process etcd, Path log) {
        Instant deadline = Instant.now().plus(config.healthTimeout());
        while (Instant.now().isBefore(deadline)) {
            if (!etcd.isAlive()) {
                throw new EtcdProcessException("the replay's scratch etcd exited with code " + etcd.exitValue() + " (see " + log + ")");
            }
            try {
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(clientUrl + "/health")).timeout(Duration.ofSeconds(2))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (health.statusCode() == 200 && health.body().contains("\"true\"")) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdProcessException("interrupted while the replay's scratch etcd started");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new EtcdProcessException("interrupted while the replay's scratch etcd started");
            }
        }
        throw new EtcdProcessException("the replay's scratch etcd did not become healthy within " + config.healthTimeout().toSeconds()
                + " s (see " + log + ")");
    }

    private static void stop(Process etcd) {
        etcd.destroy();
        try {
            if (!etcd.waitFor(30, TimeUnit.SECONDS)) {
                etcd.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            etcd.destroyForcibly();
        }
    }

    /**
     * A free loopback port below Linux's ephemeral range (32768–60999), where outgoing connections take
     * their local ports and could take this one before the scratch etcd listens on it.
     */
    private static int freePort() {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(20_000, 32_000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
                return port;
            } catch (IOException e) {
                // taken: try another
            }
        }
        throw new EtcdProcessException("no free loopback port for the replay's scratch etcd");
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new EtcdProcessException("cannot remove " + root + ": " + e.getMessage());
        }
    }

    /**
     * Sends the transactions of consecutive revisions, up to {@link #WINDOW} at once, and still applies
     * them in order: each (but the first) is guarded by a comparison that holds only once the previous
     * revision was applied — the mod revision of a key the previous one put, or the absence of a key it
     * deleted. One sent too early fails its guard, changes nothing (etcd counts no revision for it) and is
     * sent again; so the transactions that succeed in a window are always a prefix of it, and each is
     * checked to have made exactly its original revision.
     */
    private static final class Pipeline {

        static final int WINDOW = 64;

        private record Txn(long revision, TxnRequest request, String deltaId) {
        }

        private final KVGrpc.KVFutureStub kv;
        private final List<Txn> queue = new ArrayList<>();
        private long applied;
        private long windows;
        private long sent;
        private DeltaEvent previous;

        Pipeline(KVGrpc.KVFutureStub kv, long applied) {
            this.kv = kv;
            this.applied = applied;
        }

        long applied() {
            return applied;
        }

        /** Windows sent and transactions sent (a transaction sent too early is sent again). */
        String figures() {
            return windows + " windows, " + sent + " transactions sent";
        }

        void add(DeltaEvent first, List<RequestOp> ops, String deltaId) {
            TxnRequest.Builder txn = TxnRequest.newBuilder().addAllSuccess(ops);
            if (previous != null) {
                txn.addCompare(guard(previous));
            }
            previous = first;
            queue.add(new Txn(first.revision(), txn.build(), deltaId));
            if (queue.size() >= WINDOW) {
                sendWindow();
            }
        }

        /** Holds exactly when the revision of {@code change} was applied and the next one not yet. */
        private static Compare guard(DeltaEvent change) {
            Compare.Builder compare = Compare.newBuilder().setKey(ByteString.copyFrom(change.key())).setResult(Compare.CompareResult.EQUAL);
            return change.op() == DeltaEvent.Op.PUT ? compare.setTarget(Compare.CompareTarget.MOD).setModRevision(change.revision()).build()
                    : compare.setTarget(Compare.CompareTarget.VERSION).setVersion(0).build();
        }

        void drain() {
            while (!queue.isEmpty()) {
                sendWindow();
            }
        }

        private void sendWindow() {
            List<Txn> window = List.copyOf(queue.subList(0, Math.min(WINDOW, queue.size())));
            windows++;
            sent += window.size();
            List<com.google.common.util.concurrent.ListenableFuture<TxnResponse>> answers = new ArrayList<>(window.size());
            for (Txn txn : window) {
                answers.add(kv.withDeadlineAfter(60, TimeUnit.SECONDS).txn(txn.request()));
            }
            int done = 0;
            for (int i = 0; i < window.size(); i++) {
                TxnResponse response;
                try {
                    response = answers.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw cause instanceof StatusRuntimeException status ? status
                            : new EtcdProcessException("the scratch etcd failed a transaction: " + cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EtcdProcessException("interrupted while replaying deltas");
                }
                Txn txn = window.get(i);
                if (!response.getSucceeded()) {
                    continue;
                }
                if (i != done || response.getHeader().getRevision() != txn.revision()) {
                    throw new EtcdProcessException("replaying revision " + txn.revision() + " of delta " + txn.deltaId() + " made the scratch etcd "
                            + "count revision " + response.getHeader().getRevision() + ": the revisions would not be the original ones");
                }
                done++;
            }
            if (done == 0) {
                Txn stuck = window.get(0);
                throw new EtcdProcessException("the transaction of revision " + stuck.revision() + " of delta " + stuck.deltaId()
                        + " failed its guard although revision " + applied + " was applied: the scratch etcd changed under the replay");
            }
            applied = window.get(done - 1).revision();
            queue.subList(0, done).clear();
        }
    }

    /** Keeps every lease of the replay alive every second, so none expires while the changes are applied. */
    private static final class KeepAlive implements AutoCloseable {

        private final Set<Long> leases;
        private final StreamObserver<LeaseKeepAliveRequest> requests;
        private final Thread thread;
        private volatile boolean running = true;

        KeepAlive(LeaseGrpc.LeaseStub stub, Set<Long> leases) {
            this.leases = leases;
            this.requests = stub.leaseKeepAlive(new StreamObserver<LeaseKeepAliveResponse>() {
                @Override
                public void onNext(LeaseKeepAliveResponse response) {
                }

                @Override
                public void onError(Throwable t) {
                    running = false;
                }

                @Override
                public void onCompleted() {
                    running = false;
                }
            });
            this.thread = new Thread(this::run, "replay-lease-keepalive");
            this.thread.setDaemon(true);
            this.thread.start();
        }

        private void run() {
            while (running) {
                synchronized (requests) {
                    for (long id : leases) {
                        requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(id).build());
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
            synchronized (requests) {
                requests.onCompleted();
            }
        }
    }
}
