package dev.lifeboat.snapshot.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.ByteString;

import dev.lifeboat.access.etcd.EtcdChannels;
import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.events.SnapshotCompleted.KeyspaceFingerprint;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Opens the snapshot stream of one etcd member, with etcd's gRPC API (jetcd's stubs) over grpc-java: a
 * blocking stream on our worker thread gives back-pressure for free, and a large HTTP/2 flow-control
 * window streams much faster than the default (see shared/ENVIRONMENT.md).
 *
 * <p>As etcd's own client does, the snapshot comes from exactly one member: the leader, or a healthy
 * follower when the cluster prefers it. A member that does not answer its status is skipped.
 */
@ApplicationScoped
public class EtcdSnapshotSource {

    private final SnapshotServiceConfig.Snapshots config;

    public EtcdSnapshotSource(SnapshotServiceConfig config) {
        this.config = config.snapshots();
    }

    /** An open snapshot stream: the bytes etcd sends (db + SHA-256 trailer), and where they come from. */
    public interface Stream extends AutoCloseable {

        InputStream bytes();

        String endpoint();

        String etcdVersion();

        /** etcd's cluster id (hex) as the member's status header gave it: which incarnation of the cluster the snapshot is of. */
        String etcdClusterId();

        /**
         * The same member's keyspace fingerprint at {@code revision} (etcd {@code HashKV} and the live key count), asked
         * right after the snapshot while the revision is not yet compacted away; fails with etcd's reason otherwise.
         */
        KeyspaceFingerprint fingerprint(long revision);

        @Override
        void close();
    }

    public Stream open(String clusterId, ClusterSpec spec) {
        List<String> problems = new ArrayList<>();
        List<Candidate> healthy = new ArrayList<>();
        for (String endpoint : spec.endpoints()) {
            ManagedChannel channel = EtcdChannels.open(clusterId, endpoint, spec, config.flowControlWindow());
            try {
                ClientInterceptor token = EtcdChannels.authenticate(clusterId, channel, spec);
                MaintenanceGrpc.MaintenanceBlockingStub maintenance = token == null ? MaintenanceGrpc.newBlockingStub(channel)
                        : MaintenanceGrpc.newBlockingStub(channel).withInterceptors(token);
                KVGrpc.KVBlockingStub kv = token == null ? KVGrpc.newBlockingStub(channel) : KVGrpc.newBlockingStub(channel).withInterceptors(token);
                StatusResponse status = maintenance.withDeadlineAfter(5, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                healthy.add(new Candidate(endpoint, channel, maintenance, kv, status.getLeader() == status.getHeader().getMemberId(),
                        status.getVersion(), Long.toHexString(status.getHeader().getClusterId())));
            } catch (StatusRuntimeException e) {
                channel.shutdownNow();
                if (EtcdChannels.isRejection(e)) {
                    closeAll(healthy);
                    throw new EtcdRejectedException("etcd at " + endpoint + " rejected Lifeboat for cluster '" + clusterId + "': "
                            + e.getStatus().getDescription());
                }
                problems.add(endpoint + ": " + describe(e));
            } catch (RuntimeException e) {
                channel.shutdownNow();
                closeAll(healthy);
                throw e;
            }
        }
        Candidate chosen = choose(healthy, spec.preferFollower());
        if (chosen == null) {
            throw new EtcdUnavailableException("no etcd member of cluster '" + clusterId + "' answered: " + String.join("; ", problems), null);
        }
        healthy.stream().filter(c -> c != chosen).forEach(c -> c.channel.shutdownNow());
        Log.infof("snapshot of cluster %s from %s (%s, etcd %s)", clusterId, chosen.endpoint, chosen.leader ? "leader" : "follower",
                chosen.version);
        return new GrpcStream(chosen, config.timeout().toMillis());
    }

    private static Candidate choose(List<Candidate> healthy, boolean preferFollower) {
        Candidate leader = healthy.stream().filter(c -> c.leader).findFirst().orElse(null);
        if (preferFollower) {
            return healthy.stream().filter(c -> !c.leader).findFirst().orElse(leader);
        }
        return leader != null ? leader : healthy.stream().findFirst().orElse(null);
    }

    private static String describe(StatusRuntimeException e) {
        return EtcdChannels.describe(e);
    }

    private static void closeAll(List<Candidate> candidates) {
        candidates.forEach(c -> c.channel.shutdownNow());
    }

    private record Candidate(String endpoint, ManagedChannel channel, MaintenanceGrpc.MaintenanceBlockingStub maintenance,
            KVGrpc.KVBlockingStub kv, boolean leader, String version, String clusterId) {
    }

    /** The blocking gRPC stream as an InputStream; closing it cancels the call. */
    private static final class GrpcStream extends InputStream implements Stream {

        private final Candidate member;
        private final Context.CancellableContext context = Context.current().withCancellation();
        private final Iterator<SnapshotResponse> responses;
        /** The current message's blob, copied straight into the reader's buffer (no copy of its own). */
        private ByteString chunk = ByteString.EMPTY;
        private int offset;

        GrpcStream(Candidate member, long timeoutMillis) {
            this.member = member;
            Context previous = context.attach();
            try {
                this.responses = member.maintenance.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS)
                        .snapshot(SnapshotRequest.getDefaultInstance());
            } finally {
                context.detach(previous);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int off, int len) throws IOException {
            while (offset == chunk.size()) {
                try {
                    if (!responses.hasNext()) {
                        return -1;
                    }
                    chunk = responses.next().getBlob();
                    offset = 0;
                } catch (StatusRuntimeException e) {
                    throw new EtcdUnavailableException("etcd at " + member.endpoint + " broke the snapshot stream: " + describe(e), e);
                }
            }
            int n = Math.min(len, chunk.size() - offset);
            chunk.substring(offset, offset + n).copyTo(bytes, off);
            offset += n;
            return n;
        }

        @Override
        public InputStream bytes() {
            return this;
        }

        @Override
        public String endpoint() {
            return member.endpoint;
        }

        @Override
        public String etcdVersion() {
            return member.version;
        }

        @Override
        public String etcdClusterId() {
            return member.clusterId;
        }

        @Override
        public KeyspaceFingerprint fingerprint(long revision) {
            return KeyspaceFingerprints.at(member.endpoint, member.maintenance, member.kv, revision);
        }

        @Override
        public void close() {
            context.cancel(null);
            member.channel.shutdownNow();
        }
    }
}
