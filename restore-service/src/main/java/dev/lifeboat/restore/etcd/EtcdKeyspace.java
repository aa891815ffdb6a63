package dev.lifeboat.restore.etcd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;

import dev.lifeboat.access.etcd.EtcdChannels;
import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.state.KeyHashes;
import dev.lifeboat.restore.state.KeyState;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.AlarmResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Restores a snapshot's keys through etcd's KV API (mode API) and verifies the result.
 *
 * <ul>
 * <li>The live keys of the snapshot (under the prefix, if any) are written with plain puts in
 * transactions of at most {@code txn-max-ops} operations and {@code txn-max-bytes} bytes, several in
 * flight. Keys whose current value already equals the snapshot's are left alone, so watchers see only
 * real changes, and running the step again converges to the same keyspace.</li>
 * <li>Revisions only grow: every put is a new revision, watchers never see time go backwards.</li>
 * <li>A key that had a lease gets a fresh lease, one per original lease, granted for the remaining TTL
 * etcd recorded (etcd 3.5+ with lease checkpoints) or else the lease's full TTL.</li>
 * <li>With prune, keys in the range that the snapshot lacks are deleted.</li>
 * <li>A dry run reads the same and writes nothing.</li>
 * </ul>
 */
@ApplicationScoped
public class EtcdKeyspace {

    private static final int KEY_PAGE = 10_000;
    private static final int VALUE_PAGE = 100;
    private static final int OP_OVERHEAD = 16;

    private final int txnMaxOps;
    private final int txnMaxBytes;
    private final int txnsInFlight;

    @Inject
    public EtcdKeyspace(RestoreServiceConfig config) {
        this(config.txnMaxOps(), config.txnMaxBytes(), config.txnsInFlight());
    }

    /** With explicit transaction limits, for tools and benchmarks. */
    public EtcdKeyspace(int txnMaxOps, int txnMaxBytes, int txnsInFlight) {
        this.txnMaxOps = txnMaxOps;
        this.txnMaxBytes = txnMaxBytes;
        this.txnsInFlight = txnsInFlight;
    }

    /** Keys processed so far of the total. */
    public interface Progress {
        void update(long processed, long total);
    }

    /** What a restore did (or, dry, would do). */
    public record Outcome(long total, long put, long deleted, long unchanged) {
    }

    public Outcome restore(String clusterId, ClusterSpec spec, KeyState state, byte[] prefix, boolean prune, boolean dryRun,
            Progress progress) {
        try (Connection etcd = connect(clusterId, spec)) {
            KeyHashes current = new KeyHashes();
            etcd.scan(prefix, false, kv -> current.put(KeyHashes.of(kv.getKey().toByteArray()), KeyHashes.of(kv.getValue().toByteArray())));
            long[] total = {0};
            state.forEachLive(prefix, kv -> total[0]++);
            progress.update(0, total[0]);

            Map<Long, EtcdSnapshot.Lease> leases = state.leases();
            Map<Long, Long> grantedLeases = new HashMap<>();
            KeyHashes inSnapshot = new KeyHashes();
            long[] counts = new long[3]; // processed, put, unchanged
            Batcher batcher = new Batcher(etcd, dryRun);
            state.forEachLive(prefix, kv -> {
                long keyHash = KeyHashes.of(kv.key());
                inSnapshot.put(keyHash, 1);
                if (kv.lease() == 0 && current.get(keyHash) == KeyHashes.of(kv.value())) {
                    counts[2]++;
                } else {
                    long lease = kv.lease() == 0 || dryRun ? 0 : grantedLeases.computeIfAbsent(kv.lease(), id -> etcd.grant(leases.get(id)));
                    PutRequest put = PutRequest.newBuilder().setKey(ByteString.copyFrom(kv.key())).setValue(ByteString.copyFrom(kv.value()))
                            .setLease(lease).build();
                    batcher.add(RequestOp.newBuilder().setRequestPut(put).build(), kv.key().length + kv.value().length, kv.key());
                    counts[1]++;
                }
                if (++counts[0] % 1000 == 0) {
                    progress.update(counts[0], total[0]);
                }
            });
            long[] deleted = {0};
            if (prune) {
                batcher.finish();
                etcd.scan(prefix, true, kv -> {
                    if (!inSnapshot.contains(KeyHashes.of(kv.getKey().toByteArray()))) {
                        DeleteRangeRequest delete = DeleteRangeRequest.newBuilder().setKey(kv.getKey()).build();
                        batcher.add(RequestOp.newBuilder().setRequestDeleteRange(delete).build(), kv.getKey().size(), kv.getKey().toByteArray());
                        deleted[0]++;
                    }
                });
            }
            batcher.finish();
            progress.update(total[0], total[0]);
            return new Outcome(total[0], counts[1], deleted[0], counts[2]);
        }
    }

    /**
     * The cluster is healthy (a leader, no alarm) and the range holds exactly the snapshot's keys and
     * values: the same count and the same content hash, computed the same way on both sides. Without
     * prune, keys the snapshot lacks are not part of the comparison.
     */
    public void verify(String clusterId, ClusterSpec spec, KeyState state, byte[] prefix, boolean prune) {
        try (Connection etcd = connect(clusterId, spec)) {
            etcd.requireHealthy();
            ContentHash expected = new ContentHash();
            KeyHashes keys = new KeyHashes();
            state.forEachLive(prefix, kv -> {
                expected.add(kv.key(), kv.value());
                keys.put(KeyHashes.of(kv.key()), 1);
            });
            ContentHash actual = new ContentHash();
            etcd.scan(prefix, false, kv -> {
                byte[] key = kv.getKey().toByteArray();
                if (prune || keys.contains(KeyHashes.of(key))) {
                    actual.add(key, kv.getValue().toByteArray());
                }
            });
            if (!expected.equals(actual)) {
                throw new RestoreException("verification failed: cluster '" + clusterId + "' holds " + actual + " in the restored range, "
                        + "the snapshot " + expected + " (did something write to the cluster during the restore?)");
            }
        }
    }

    /** What REPLACE's verification found: the members' common revision and the snapshot's key count. */
    public record MembersVerified(long revision, long keys) {
    }

    /**
     * REPLACE: every member, asked alone, is healthy (a leader, no alarm), reports the same cluster id
     * and revision as the others, and holds exactly the snapshot's keyspace (count and content hash).
     * Fails with every member's problem at once.
     */
    public MembersVerified verifyMembers(String clusterId, ClusterSpec spec, KeyState state) {
        ContentHash expected = new ContentHash();
        state.forEachLive(new byte[0], kv -> expected.add(kv.key(), kv.value()));
        List<String> problems = new ArrayList<>();
        Map<String, Long> clusterIds = new java.util.TreeMap<>();
        Map<String, Long> revisions = new java.util.TreeMap<>();
        for (ClusterSpec.Member member : spec.members()) {
            if (member.clientUrl() == null || member.clientUrl().isBlank()) {
                problems.add(member.name() + ": no client URL registered");
                continue;
            }
            ClusterSpec alone = new ClusterSpec(spec.displayName(), List.of(member.clientUrl()), spec.tls(), spec.auth(), spec.destination(),
                    spec.members(), false, spec.allowInsecure());
            try (Connection etcd = connect(clusterId, alone)) {
                StatusResponse status = etcd.requireHealthy();
                clusterIds.put(member.name(), status.getHeader().getClusterId());
                revisions.put(member.name(), status.getHeader().getRevision());
                ContentHash actual = new ContentHash();
                etcd.scan(new byte[0], false, kv -> actual.add(kv.getKey().toByteArray(), kv.getValue().toByteArray()));
                if (!expected.equals(actual)) {
                    problems.add(member.name() + " holds " + actual + ", the snapshot " + expected);
                }
            } catch (RestoreException | EtcdUnavailableException | EtcdRejectedException e) {
                problems.add(member.name() + ": " + e.getMessage());
            }
        }
        if (problems.isEmpty() && new java.util.HashSet<>(clusterIds.values()).size() > 1) {
            problems.add("the members belong to different clusters: " + hex(clusterIds));
        }
        if (problems.isEmpty() && new java.util.HashSet<>(revisions.values()).size() > 1) {
            problems.add("the members are at different revisions: " + revisions);
        }
        if (!problems.isEmpty()) {
            throw new RestoreException("verification failed for cluster '" + clusterId + "': " + String.join("; ", problems));
        }
        return new MembersVerified(revisions.values().iterator().next(), expected.count);
    }

    private static String hex(Map<String, Long> ids) {
        StringBuilder text = new StringBuilder("{");
        ids.forEach((name, id) -> text.append(text.length() > 1 ? ", " : "").append(name).append('=').append(Long.toHexString(id)));
        return text.append('}').toString();
    }

    /** Count and an order-independent hash of keys with their values: the sums of each pair's SHA-256. */
    static final class ContentHash {
        private final MessageDigest sha256 = KeyHashes.sha256();
        private long count;
        private long high;
        private long low;

        void add(byte[] key, byte[] value) {
            sha256.update(ByteBuffer.allocate(4).putInt(key.length).array());
            sha256.update(key);
            ByteBuffer digest = ByteBuffer.wrap(sha256.digest(value));
            high += digest.getLong();
            low += digest.getLong();
            count++;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof ContentHash that && count == that.count && high == that.high && low == that.low;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(high);
        }

        @Override
        public String toString() {
            return count + " keys (content hash " + HexFormat.of().toHexDigits(high) + HexFormat.of().toHexDigits(low) + ")";
        }
    }

    private Connection connect(String clusterId, ClusterSpec spec) {
        return EtcdChannels.firstAnswering(clusterId, spec, 4 << 20, (endpoint, channel, token) -> {
            Connection connection = new Connection(clusterId, endpoint, channel, token);
            connection.kv().withDeadlineAfter(5, TimeUnit.SECONDS)
                    .range(RangeRequest.newBuilder().setKey(ByteString.copyFrom(new byte[] {0})).setCountOnly(true).build());
            return connection;
        });
    }

    /** One channel to one member, with the cluster's token when it has authentication. */
    private record Connection(String clusterId, String endpoint, ManagedChannel channel, ClientInterceptor token) implements AutoCloseable {

        KVGrpc.KVBlockingStub kv() {
            KVGrpc.KVBlockingStub stub = KVGrpc.newBlockingStub(channel);
            return token == null ? stub : stub.withInterceptors(token);
        }

        KVGrpc.KVFutureStub kvAsync() {
            KVGrpc.KVFutureStub stub = KVGrpc.newFutureStub(channel);
            return token == null ? stub : stub.withInterceptors(token);
        }

        /**
         * Every key-value in the range, in key order, at one revision. etcd 3.4 walks the whole rest of
         * the range for every limited request (to count it), so paging with values is quadratic: keys are
         * listed in large keys-only pages, and values fetched for small exact sub-ranges of each page.
         */
        void scan(byte[] prefix, boolean keysOnly, Consumer<KeyValue> each) {
            ByteString start = ByteString.copyFrom(prefix.length == 0 ? new byte[] {0} : prefix);
            ByteString end = ByteString.copyFrom(rangeEnd(prefix));
            long revision = 0;
            try {
                while (true) {
                    RangeRequest.Builder request = RangeRequest.newBuilder().setKey(start).setRangeEnd(end).setLimit(KEY_PAGE).setKeysOnly(true);
                    if (revision > 0) {
                        // the member answered at this revision already: it can serve it from its own store
                        request.setRevision(revision).setSerializable(true);
                    }
                    RangeResponse page = kv().withDeadlineAfter(60, TimeUnit.SECONDS).range(request.build());
                    revision = page.getHeader().getRevision();
                    if (keysOnly) {
                        page.getKvsList().forEach(each);
                    } else {
                        for (int from = 0; from < page.getKvsCount(); from += VALUE_PAGE) {
                            int to = Math.min(page.getKvsCount(), from + VALUE_PAGE) - 1;
                            kv().withDeadlineAfter(60, TimeUnit.SECONDS).range(RangeRequest.newBuilder().setKey(page.getKvs(from).getKey())
                                    .setRangeEnd(after(page.getKvs(to).getKey())).setRevision(revision).setSerializable(true).build()).getKvsList()
                                    .forEach(each);
                        }
                    }
                    if (!page.getMore() || page.getKvsCount() == 0) {
                        return;
                    }
                    start = after(page.getKvs(page.getKvsCount() - 1).getKey());
                }
            } catch (StatusRuntimeException e) {
                throw failure("read the keyspace of", e);
            }
        }

        /** The smallest key after {@code key}. */
        private static ByteString after(ByteString key) {
            return key.concat(ByteString.copyFrom(new byte[] {0}));
        }

        long grant(EtcdSnapshot.Lease lease) {
            if (lease == null) {
                return 0;
            }
            long ttl = lease.remainingTtl() > 0 ? lease.remainingTtl() : lease.ttl();
            LeaseGrpc.LeaseBlockingStub stub = token == null ? LeaseGrpc.newBlockingStub(channel) : LeaseGrpc.newBlockingStub(channel).withInterceptors(token);
            try {
                return stub.withDeadlineAfter(10, TimeUnit.SECONDS).leaseGrant(LeaseGrantRequest.newBuilder().setTTL(Math.max(ttl, 1)).build()).getID();
            } catch (StatusRuntimeException e) {
                throw failure("grant a lease in", e);
            }
        }

        StatusResponse requireHealthy() {
            MaintenanceGrpc.MaintenanceBlockingStub maintenance = token == null ? MaintenanceGrpc.newBlockingStub(channel)
                    : MaintenanceGrpc.newBlockingStub(channel).withInterceptors(token);
            try {
                StatusResponse status = maintenance.withDeadlineAfter(5, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                if (status.getLeader() == 0) {
                    throw new RestoreException("cluster '" + clusterId + "' has no leader after the restore");
                }
                AlarmResponse alarms = maintenance.withDeadlineAfter(5, TimeUnit.SECONDS)
                        .alarm(AlarmRequest.newBuilder().setAction(AlarmRequest.AlarmAction.GET).build());
                if (alarms.getAlarmsCount() > 0) {
                    throw new RestoreException("cluster '" + clusterId + "' raises alarms after the restore: " + alarms.getAlarmsList().stream()
                            .map(alarm -> alarm.getAlarm().name()).distinct().toList());
                }
                return status;
            } catch (StatusRuntimeException e) {
                throw failure("check the health of", e);
            }
        }

        RuntimeException failure(String action, StatusRuntimeException e) {
            String message = "cannot " + action + " cluster '" + clusterId + "' at " + endpoint + ": " + EtcdChannels.describe(e);
            return EtcdChannels.isRejection(e) ? new EtcdRejectedException(message) : new EtcdUnavailableException(message, e);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    /** The end of the range of keys starting with {@code prefix}: all keys when it is empty. */
    static byte[] rangeEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = java.util.Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return new byte[] {0};
    }

    /** Groups operations into transactions within etcd's limits and keeps several in flight. */
    private final class Batcher {
        private final Connection etcd;
        private final boolean dryRun;
        private final Semaphore inFlight = new Semaphore(txnsInFlight);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private TxnRequest.Builder txn = TxnRequest.newBuilder();
        private long bytes;

        Batcher(Connection etcd, boolean dryRun) {
            this.etcd = etcd;
            this.dryRun = dryRun;
        }

        void add(RequestOp op, long size, byte[] key) {
            long cost = size + OP_OVERHEAD;
            if (cost > txnMaxBytes) {
                throw new RestoreException("key '" + new String(key, StandardCharsets.UTF_8) + "' with its value is " + size
                        + " bytes, more than one transaction may carry (lifeboat.restore.txn-max-bytes = " + txnMaxBytes + ")");
            }
            if (txn.getSuccessCount() >= txnMaxOps || bytes + cost > txnMaxBytes) {
                send();
            }
            txn.addSuccess(op);
            bytes += cost;
        }

        private void send() {
            rethrow();
            if (txn.getSuccessCount() == 0) {
                return;
            }
            TxnRequest request = txn.build();
            txn = TxnRequest.newBuilder();
            bytes = 0;
            if (dryRun) {
                return;
            }
            inFlight.acquireUninterruptibly();
            Futures.addCallback(etcd.kvAsync().withDeadlineAfter(60, TimeUnit.SECONDS).txn(request), new FutureCallback<TxnResponse>() {
                @Override
                public void onSuccess(TxnResponse response) {
                    inFlight.release();
                }

                @Override
                public void onFailure(Throwable e) {
                    failure.compareAndSet(null, e);
                    inFlight.release();
                }
            }, MoreExecutors.directExecutor());
        }

        /** Sends what is left and waits for every transaction. */
        void finish() {
            send();
            inFlight.acquireUninterruptibly(txnsInFlight);
            inFlight.release(txnsInFlight);
            rethrow();
        }

        private void rethrow() {
            Throwable e = failure.get();
            if (e instanceof StatusRuntimeException status) {
                throw etcd.failure("write to", status);
            }
            if (e != null) {
                throw new RestoreException("cannot write to cluster '" + etcd.clusterId() + "': " + e, e);
            }
        }
    }
}
