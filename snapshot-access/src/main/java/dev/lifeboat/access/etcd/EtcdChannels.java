package dev.lifeboat.access.etcd;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.events.SecretReference;
import dev.lifeboat.events.security.SecretRules;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;

/**
 * gRPC channels to the members of a registered cluster, with etcd's API (jetcd's generated stubs) over
 * grpc-java: TLS from the cluster's file references, user/password authentication from its secret
 * references. Credentials are read when needed and never appear in a message.
 */
public final class EtcdChannels {

    private static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);

    private EtcdChannels() {
    }

    /** A channel to one client URL; TLS when the URL is https or the cluster has TLS files. */
    public static ManagedChannel open(String clusterId, String endpoint, ClusterSpec spec, int flowControlWindow) {
        URI uri = URI.create(endpoint.contains("://") ? endpoint : "http://" + endpoint);
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : 2379)
                .flowControlWindow(flowControlWindow)
                .maxInboundMessageSize(64 << 20);
        boolean tls = "https".equals(uri.getScheme()) || spec.tls() != null;
        if (!tls) {
            return builder.usePlaintext().build();
        }
        try {
            var ssl = GrpcSslContexts.forClient();
            SecretReference.Rules rules = SecretRules.current();
            if (spec.tls() != null && spec.tls().caRef() != null) {
                ssl.trustManager(SecretReference.file(spec.tls().caRef(), "tls.caRef of cluster '" + clusterId + "'", rules).toFile());
            }
            if (spec.tls() != null && spec.tls().certRef() != null && spec.tls().keyRef() != null) {
                ssl.keyManager(SecretReference.file(spec.tls().certRef(), "tls.certRef of cluster '" + clusterId + "'", rules).toFile(),
                        SecretReference.file(spec.tls().keyRef(), "tls.keyRef of cluster '" + clusterId + "'", rules).toFile());
            }
            return builder.sslContext(ssl.build()).build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new EtcdRejectedException("the TLS files of cluster '" + clusterId + "' are not usable: " + e.getMessage());
        }
    }

    /**
     * Authenticates with the cluster's user and password when it has them: an interceptor that attaches
     * the token to every call, or null when the cluster needs no authentication.
     */
    public static ClientInterceptor authenticate(String clusterId, ManagedChannel channel, ClusterSpec spec) {
        if (spec.auth() == null || spec.auth().userRef() == null) {
            return null;
        }
        if (!channelIsEncrypted(channel, spec) && !spec.allowInsecure()) {
            throw new EtcdRejectedException("cluster '" + clusterId + "' has credentials but plain-http endpoints: Lifeboat sends no password "
                    + "in the clear (use https, or register the cluster with allowInsecure)");
        }
        String user;
        String password;
        try {
            SecretReference.Rules rules = SecretRules.current();
            user = SecretReference.resolve(spec.auth().userRef(), "etcd user of cluster '" + clusterId + "'", rules);
            password = SecretReference.resolve(spec.auth().passwordRef(), "etcd password of cluster '" + clusterId + "'", rules);
        } catch (IllegalArgumentException e) {
            throw new EtcdRejectedException(e.getMessage());
        }
        String token = AuthGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build()).getToken();
        Metadata headers = new Metadata();
        headers.put(TOKEN, token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    /** Whether the cluster's channels use TLS: every endpoint https, or TLS files given. */
    private static boolean channelIsEncrypted(ManagedChannel channel, ClusterSpec spec) {
        return spec.tls() != null || spec.endpoints().stream().allMatch(endpoint -> endpoint.startsWith("https://"));
    }

    /** What a caller does with a member once its channel is open and authenticated. */
    @FunctionalInterface
    public interface Attempt<T> {

        /** The result, or a StatusRuntimeException when the member did not answer as it should. */
        T on(String endpoint, ManagedChannel channel, ClientInterceptor token);
    }

    /**
     * Tries the cluster's members in order and returns the first successful attempt; the channel of a
     * failed attempt is shut down. Fails with {@link EtcdRejectedException} as soon as a member refuses
     * the credentials, or with {@link EtcdUnavailableException} naming every member's problem when none
     * answered.
     */
    public static <T> T firstAnswering(String clusterId, ClusterSpec spec, int flowControlWindow, Attempt<T> attempt) {
        List<String> problems = new ArrayList<>();
        for (String endpoint : spec.endpoints()) {
            ManagedChannel channel = open(clusterId, endpoint, spec, flowControlWindow);
            try {
                return attempt.on(endpoint, channel, authenticate(clusterId, channel, spec));
            } catch (StatusRuntimeException e) {
                channel.shutdownNow();
                if (isRejection(e)) {
                    throw new EtcdRejectedException("etcd at " + endpoint + " rejected Lifeboat for cluster '" + clusterId + "': "
                            + e.getStatus().getDescription());
                }
                problems.add(endpoint + ": " + describe(e));
            } catch (RuntimeException e) {
                channel.shutdownNow();
                throw e;
            }
        }
        throw new EtcdUnavailableException("no etcd member of cluster '" + clusterId + "' answered: " + String.join("; ", problems), null);
    }

    /** etcd refused the caller (credentials, permissions, a bad request): retrying will not help. */
    public static boolean isRejection(StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        return code == Status.Code.INVALID_ARGUMENT || code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED;
    }

    /** The status code and etcd's description, for messages. */
    public static String describe(StatusRuntimeException e) {
        return e.getStatus().getCode() + (e.getStatus().getDescription() == null ? "" : " (" + e.getStatus().getDescription() + ")");
    }
}
