package dev.lifeboat.snapshot.etcd;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;

import dev.lifeboat.access.etcd.EtcdChannels;
import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;

/**
 * A watch over a cluster's whole keyspace from one revision on, with previous values and progress
 * notifications, read one response at a time: the next response is asked of etcd only after the
 * caller took the last one, so a caller that is slow (a slow S3 under it) slows the stream — etcd keeps
 * the changes in its own store meanwhile — instead of filling the heap.
 */
public final class EtcdWatch implements AutoCloseable {

    private static final ByteString ALL_KEYS = ByteString.copyFrom(new byte[] {0});
    private static final Object END = new Object();
    /** Put by {@link #wake()}: a waiting {@link #poll} returns at once, with nothing. */
    private static final Object WAKE = new Object();

    private final String clusterId;
    private final String endpoint;
    private final ManagedChannel channel;
    private final ClientInterceptor token;
    private final BlockingQueue<Object> responses = new ArrayBlockingQueue<>(4);
    private volatile ClientCallStreamObserver<WatchRequest> requests;

    private EtcdWatch(String clusterId, String endpoint, ManagedChannel channel, ClientInterceptor token) {
        this.clusterId = clusterId;
        this.endpoint = endpoint;
        this.channel = channel;
        this.token = token;
    }

    /**
     * Opens the watch on the first member that answers, from {@code startRevision} on. Fails with
     * {@link EtcdRejectedException} (credentials) or {@link EtcdUnavailableException} (no member answered).
     */
    public static EtcdWatch open(String clusterId, ClusterSpec spec, long startRevision, int flowControlWindow) {
        return EtcdChannels.firstAnswering(clusterId, spec, flowControlWindow, (endpoint, channel, token) -> {
            EtcdWatch watch = new EtcdWatch(clusterId, endpoint, channel, token);
            watch.kv().withDeadlineAfter(5, TimeUnit.SECONDS).range(RangeRequest.newBuilder().setKey(ALL_KEYS).setCountOnly(true).build());
            watch.start(startRevision);
            return watch;
        });
    }

    private void start(long startRevision) {
        WatchGrpc.WatchStub stub = token == null ? WatchGrpc.newStub(channel) : WatchGrpc.newStub(channel).withInterceptors(token);
        stub.watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> stream) {
                stream.disableAutoRequestWithInitial(1);
                requests = stream;
            }

            @Override
            public void onNext(WatchResponse response) {
                responses.add(response);
            }

            @Override
            public void onError(Throwable t) {
                responses.offer(t);
            }

            @Override
            public void onCompleted() {
                responses.offer(END);
            }
        });
        requests.onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(ALL_KEYS).setRangeEnd(ALL_KEYS)
                .setStartRevision(startRevision).setPrevKv(true).setProgressNotify(true)).build());
    }

    /**
     * The next response, or null when none came within {@code timeoutMillis}. Call {@link #next()} after
     * handling it to let etcd send the one after.
     */
    public WatchResponse poll(long timeoutMillis) throws InterruptedException {
        Object item = responses.poll(Math.max(0, timeoutMillis), TimeUnit.MILLISECONDS);
        if (item == null || item == WAKE) {
            return null;
        }
        if (item instanceof Throwable failure) {
            responses.offer(failure);
            String why = failure instanceof StatusRuntimeException status ? EtcdChannels.describe(status) : failure.toString();
            throw new EtcdUnavailableException("the watch of cluster '" + clusterId + "' at " + endpoint + " broke: " + why, failure);
        }
        if (item == END) {
            responses.offer(END);
            throw new EtcdUnavailableException("etcd at " + endpoint + " ended the watch of cluster '" + clusterId + "'", null);
        }
        return (WatchResponse) item;
    }

    /** Ends the wait of a {@link #poll} now or next (it returns null): whoever polls is stopping. */
    public void wake() {
        responses.offer(WAKE);
    }

    /** Lets etcd send the next response. */
    public void next() {
        requests.request(1);
    }

    /** Asks etcd to say how far the watch is (a progress notification with its current revision). */
    public void requestProgress() {
        requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
    }

    /** The TTL a lease was granted with, in seconds; 0 when the lease is gone or unknown. */
    public long grantedTtl(long leaseId) {
        LeaseGrpc.LeaseBlockingStub stub = token == null ? LeaseGrpc.newBlockingStub(channel) : LeaseGrpc.newBlockingStub(channel).withInterceptors(token);
        try {
            long ttl = stub.withDeadlineAfter(5, TimeUnit.SECONDS).leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(leaseId).build())
                    .getGrantedTTL();
            return Math.max(0, ttl);
        } catch (StatusRuntimeException e) {
            return 0;
        }
    }

    public String endpoint() {
        return endpoint;
    }

    /** The watched member's keyspace fingerprint at {@code revision} (see {@link KeyspaceFingerprints}). */
    public KeyspaceFingerprint fingerprint(long revision) {
        MaintenanceGrpc.MaintenanceBlockingStub maintenance = token == null ? MaintenanceGrpc.newBlockingStub(channel)
                : MaintenanceGrpc.newBlockingStub(channel).withInterceptors(token);
        return KeyspaceFingerprints.at(endpoint, maintenance, kv(), revision);
    }

    private KVGrpc.KVBlockingStub kv() {
        return token == null ? KVGrpc.newBlockingStub(channel) : KVGrpc.newBlockingStub(channel).withInterceptors(token);
    }

    @Override
    public void close() {
        ClientCallStreamObserver<WatchRequest> stream = requests;
        if (stream != null) {
            stream.cancel("capture stopped", null);
        }
        channel.shutdownNow();
    }
}
