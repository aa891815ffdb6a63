package dev.lifeboat.snapshot.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SecretReference;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.SnapshotRequest;
import io.etcd.jetcd.api.SnapshotResponse;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
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

    private static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

    private final SnapshotServiceConfig.Snapshots config;

    public EtcdSnapshotSource(SnapshotServiceConfig config) {
        this.config = config.snapshots();
    }

    /** An open snapshot stream: the bytes etcd sends (db + SHA-256 trailer), and where they come from. */
    public interface Stream extends AutoCloseable {

        InputStream bytes();

        String endpoint();

        String etcdVersion();

        @Override
        void close();
    }

    public Stream open(String clusterId, ClusterSpec spec) {
        List<String> problems = new ArrayList<>();
        List<Candidate> healthy = new ArrayList<>();
        for (String endpoint : spec.endpoints()) {
            ManagedChannel channel = channel(clusterId, endpoint, spec);
            try {
                MaintenanceGrpc.MaintenanceBlockingStub maintenance = authenticated(clusterId, channel, spec);
                StatusResponse status = maintenance.withDeadlineAfter(5, TimeUnit.SECONDS).status(StatusRequest.getDefaultInstance());
                healthy.add(new Candidate(endpoint, channel, maintenance, status.getLeader() == status.getHeader().getMemberId(),
                        status.getVersion()));
            } catch (StatusRuntimeException e) {
                channel.shutdownNow();
                if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT || e.getStatus().getCode() == Status.Code.PERMISSION_DENIED
                        || e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
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

    private MaintenanceGrpc.MaintenanceBlockingStub authenticated(String clusterId, ManagedChannel channel, ClusterSpec spec) {
        MaintenanceGrpc.MaintenanceBlockingStub stub = MaintenanceGrpc.newBlockingStub(channel);
        if (spec.auth() == null || spec.auth().userRef() == null) {
            return stub;
        }
        String user;
        String password;
        try {
            user = SecretReference.resolve(spec.auth().userRef(), "etcd user of cluster '" + clusterId + "'");
            password = SecretReference.resolve(spec.auth().passwordRef(), "etcd password of cluster '" + clusterId + "'");
        } catch (IllegalArgumentException e) {
            throw new EtcdRejectedException(e.getMessage());
        }
        String token = AuthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build()).getToken();
        Metadata headers = new Metadata();
        headers.put(TOKEN, token);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    private ManagedChannel channel(String clusterId, String endpoint, ClusterSpec spec) {
        URI uri = URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 2379)
                .flowControlWindow(config.flowControlWindow())
                .maxInboundMessageSize(64 << 20);
        boolean tls = "https".equals(uri.getScheme()) || spec.tls() != null;
        if (!tls) {
            return builder.usePlaintext().build();
        }
        try {
            var ssl = GrpcSslContexts.forClient();
            if (spec.tls() != null && spec.tls().caRef() != null) {
                ssl.trustManager(SecretReference.file(spec.tls().caRef()).toFile());
            }
            if (spec.tls() != null && spec.tls().certRef() != null && spec.tls().keyRef() != null) {
                ssl.keyManager(SecretReference.file(spec.tls().certRef()).toFile(), SecretReference.file(spec.tls().keyRef()).toFile());
            }
            return builder.sslContext(ssl.build()).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new EtcdRejectedException("the TLS files of cluster '" + clusterId + "' are not usable: " + e.getMessage());
        }
    }

    private static String describe(StatusRuntimeException e) {
        return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : " (" + e.getStatus().getDescription() + ")");
    }

    private static void closeAll(List<Candidate> candidates) {
        candidates.forEach(c -> c.channel.shutdownNow());
    }

    private record Candidate(String endpoint, ManagedChannel channel, MaintenanceGrpc.MaintenanceBlockingStub maintenance,
            boolean leader, String version) {
    }

    /** The blocking gRPC stream as an InputStream; closing it cancels the call. */
    private static final class GrpcStream extends InputStream implements Stream {

        private final Candidate member;
        private final Context.CancellableContext context = Context.current().withCancellation();
        private final Iterator<SnapshotResponse> responses;
        private byte[] chunk = new byte[0];
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
            while (offset == chunk.length) {
                try {
                    if (!responses.hasNext()) {
                        return -1;
                    }
                    chunk = responses.next().getBlob().toByteArray();
                    offset = 0;
                } catch (StatusRuntimeException e) {
                    throw new EtcdUnavailableException("etcd at " + member.endpoint + " broke the snapshot stream: " + describe(e), e);
                }
            }
            int n = Math.min(len, chunk.length - offset);
            System.arraycopy(chunk, offset, bytes, off, n);
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
        public void close() {
            context.cancel(null);
            member.channel.shutdownNow();
        }
    }
}
