package dev.lifeboat.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import dev.lifeboat.tokens.LocalTokens;

/**
 * The local stack: etcd, Kafka, S3 and PostgreSQL as real servers on 127.0.0.1, started in parallel
 * (etcd only planned when etcd-agents run it: {@link StackOptions#etcdByAgents()}), and the key pair of
 * Lifeboat's own signed tokens ({@code <data dir>/auth}), which the services verify and {@link #token} mints.
 * The same class serves {@code make run} and the tests; {@link #quarkusConfig()} is the one place that
 * turns its addresses into service configuration.
 */
public final class LocalStack implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(LocalStack.class.getName());
    /** The services' own default for {@code lifeboat.security.secrets.file-directories}, which the stack extends. */
    public static final List<String> DEFAULT_SECRET_DIRECTORIES = List.of("/etc/lifeboat/secrets", "/run/secrets", "/var/run/secrets",
            "/etc/kubernetes/pki/etcd");
    private static LocalStack shared;

    private final StackOptions options;
    private final EtcdCluster etcd;
    private final KafkaBroker kafka;
    private final S3Server s3;
    private final PostgresServer postgres;
    private final LocalTokens tokens;
    private boolean closed;

    private LocalStack(StackOptions options, EtcdCluster etcd, KafkaBroker kafka, S3Server s3, PostgresServer postgres) {
        this.options = options;
        this.etcd = etcd;
        this.kafka = kafka;
        this.s3 = s3;
        this.postgres = postgres;
        this.tokens = LocalTokens.inFolder(authDir(options));
    }

    /** Where the token keys (and {@code make run}'s tokens) live: {@code <data dir>/auth}. */
    public static Path authDir(StackOptions options) {
        return options.dataDir().resolve("auth");
    }

    /** Starts every piece; on any failure the pieces already up are stopped and the failure is thrown. */
    public static LocalStack start(StackOptions options) {
        try {
            Files.createDirectories(options.dataDir());
        } catch (IOException e) {
            throw new StackException("cannot create the stack's data directory " + options.dataDir() + ": " + e.getMessage(), e);
        }
        ManagedProcess.stopLeftovers(options.runDir());
        List<AutoCloseable> started = new ArrayList<>();
        CompletableFuture<EtcdCluster> etcd = options.etcdByAgents() ? CompletableFuture.completedFuture(EtcdCluster.planned(options))
                : startAsync(options, EtcdCluster::start, started);
        CompletableFuture<KafkaBroker> kafka = startAsync(options, KafkaBroker::start, started);
        CompletableFuture<S3Server> s3 = startAsync(options, S3Server::start, started);
        CompletableFuture<PostgresServer> postgres = startAsync(options, PostgresServer::start, started);
        try {
            CompletableFuture.allOf(etcd, kafka, s3, postgres).join();
        } catch (CompletionException e) {
            CompletableFuture.allOf(etcd, kafka, s3, postgres).exceptionally(ignored -> null).join();
            closeAll(started);
            throw e.getCause() instanceof StackException stack ? stack
                    : new StackException("the local stack did not start: " + e.getCause().getMessage(), e.getCause());
        }
        LocalStack stack = new LocalStack(options, etcd.join(), kafka.join(), s3.join(), postgres.join());
        LOG.log(System.Logger.Level.INFO, "local stack up: etcd " + options.etcdRelease().version() + (options.etcdTls() ? " (TLS)" : "") + " "
                + stack.etcd.endpoints() + ", Kafka "
                + stack.kafka.bootstrapServers() + ", S3 " + stack.s3.endpoint() + ", PostgreSQL " + stack.postgres.jdbcUrl());
        return stack;
    }

    private static <T extends AutoCloseable> CompletableFuture<T> startAsync(StackOptions options,
            Function<StackOptions, T> starter, List<AutoCloseable> started) {
        return CompletableFuture.supplyAsync(() -> {
            T piece = starter.apply(options);
            synchronized (started) {
                started.add(piece);
            }
            return piece;
        });
    }

    /**
     * One stack for a test run, started on first use under {@code target/} of the working directory and
     * stopped by {@link #stopShared()} or when the JVM exits. "Shared" is per class loader: a Quarkus test
     * profile that restarts the application loads this class anew and gets (after the previous
     * application stopped its stack) a stack of its own.
     */
    public static synchronized LocalStack shared(Map<String, Integer> topics) {
        return shared(topics, EtcdRelease.DEFAULT, false);
    }

    /** As {@link #shared(Map)}, with the etcd release and TLS mode of the first caller. */
    public static synchronized LocalStack shared(Map<String, Integer> topics, EtcdRelease release, boolean tls) {
        if (shared == null) {
            Path dir = Path.of("target", "local-stack-" + ProcessHandle.current().pid() + "-"
                    + Integer.toHexString(System.identityHashCode(LocalStack.class))).toAbsolutePath();
            LocalStack stack = start(StackOptions.forTests(dir, topics).withEtcd(release, tls));
            Runtime.getRuntime().addShutdownHook(new Thread(stack::close, "local-stack-stop"));
            shared = stack;
        } else {
            shared.kafka.createTopics(topics);
        }
        return shared;
    }

    /** Stops the stack {@link #shared} started, if any. */
    public static synchronized void stopShared() {
        if (shared != null) {
            shared.close();
            shared = null;
        }
    }

    /**
     * Configuration for a Lifeboat service pointing at this stack: datasource, Kafka, S3 and etcd. Dev
     * Services stay off, because they would try to start containers.
     */
    public Map<String, String> quarkusConfig() {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("quarkus.devservices.enabled", "false");
        config.put("kafka.bootstrap.servers", kafka.bootstrapServers());
        config.put("quarkus.datasource.jdbc.url", postgres.jdbcUrl());
        config.put("quarkus.datasource.reactive.url", postgres.reactiveUrl());
        config.put("quarkus.datasource.username", postgres.user());
        if (!postgres.password().isEmpty()) {
            config.put("quarkus.datasource.password", postgres.password());
        }
        config.put("lifeboat.s3.endpoint", s3.endpoint());
        config.put("lifeboat.s3.region", S3Server.REGION);
        config.put("lifeboat.s3.access-key", s3.accessKey());
        config.put("lifeboat.s3.secret-key", s3.secretKey());
        config.put("lifeboat.s3.bucket", StackOptions.BUCKET);
        config.put("local-stack.etcd-endpoints", etcd.endpoints());
        config.put("local-stack.etcd-version", options.etcdRelease().version());
        if (options.etcdTls()) {
            // What a cluster registered for this etcd names as its tls references (files in the stack's secrets).
            EtcdTls tls = options.etcdTlsFiles();
            config.put("local-stack.etcd-tls-ca", tls.ca().toString());
            config.put("local-stack.etcd-tls-cert", tls.clientCert().toString());
            config.put("local-stack.etcd-tls-key", tls.clientKey().toString());
        }
        // Callers prove who they are with tokens signed by this stack's key (README "Security"); the APIs listen on
        // this host only.
        config.put("quarkus.oidc.public-key", tokens.verifyKey());
        config.put("quarkus.oidc.token.issuer", LocalTokens.ISSUER);
        config.put("quarkus.http.host", Ports.HOST);
        // Clusters' secret references may also name files in the stack's own secrets folder (tests write them there).
        config.put("lifeboat.security.secrets.file-directories", String.join(",", DEFAULT_SECRET_DIRECTORIES) + "," + secretsDir());
        config.put("local-stack.secrets-dir", secretsDir().toString());
        return config;
    }

    /** Where tests (and make run's own cluster) keep files that clusters' secret references name. */
    public Path secretsDir() {
        return options.dataDir().resolve("secrets");
    }

    /** A token signed by this stack's key for {@code subject} with {@code roles}, limited to {@code clusters} (none: all). */
    public String token(String subject, List<String> roles, List<String> clusters, Duration ttl) {
        return tokens.mint(subject, roles, clusters, ttl);
    }

    /** An admin token for a day: what tests call the services with. */
    public String adminToken() {
        return token("test-admin", List.of("admin"), List.of(), Duration.ofDays(1));
    }

    public StackOptions options() {
        return options;
    }

    public EtcdCluster etcd() {
        return etcd;
    }

    public KafkaBroker kafka() {
        return kafka;
    }

    public S3Server s3() {
        return s3;
    }

    public PostgresServer postgres() {
        return postgres;
    }

    /** Stops every piece, Kafka first so that no client retries against a half-stopped stack. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeAll(List.of(postgres, s3, etcd, kafka));
        LOG.log(System.Logger.Level.INFO, "local stack stopped");
    }

    private static void closeAll(List<AutoCloseable> pieces) {
        List<AutoCloseable> reversed = new ArrayList<>(pieces);
        java.util.Collections.reverse(reversed);
        reversed.parallelStream().forEach(piece -> {
            try {
                piece.close();
            } catch (Exception e) {
                LOG.log(System.Logger.Level.WARNING, "stopping " + piece.getClass().getSimpleName() + " failed: " + e.getMessage());
            }
        });
    }
}
