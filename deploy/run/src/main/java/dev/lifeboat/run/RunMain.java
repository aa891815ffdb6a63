package dev.lifeboat.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import dev.lifeboat.events.Topics;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.EtcdTls;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackException;
import dev.lifeboat.stack.StackOptions;
import dev.lifeboat.tokens.LocalTokens;

/**
 * {@code make run}: the local stack on its documented ports, etcd run by one etcd-agent per member
 * (cluster id {@code local}) — or the user's etcd ({@code --etcd-endpoints}) — then the four services,
 * each waited for until {@code /q/health/ready} is UP; then the etcd is registered as cluster
 * {@code local} with a default policy and a first backup is taken ({@link LocalCluster}). Runs until
 * Ctrl-C or SIGTERM, then stops every child process.
 *
 * <pre>
 * java -jar deploy/run/target/lifeboat-run.jar [--repo DIR] [--data-dir DIR] [--etcd-members 1|3] [--etcd-version 3.4|3.5] [--etcd-tls true|false]
 *     [--etcd-endpoints URL,...] [--cluster-id ID]
 * </pre>
 *
 * The local etcd is 3.5 unless {@code --etcd-version 3.4}; with {@code --etcd-tls true} it serves https only,
 * to clients with a certificate of its own CA (generated under the data dir), and the cluster is
 * registered with references to those files.
 *
 * With {@code --etcd-endpoints} no local etcd runs; the cluster's TLS files and credentials come as
 * references from {@code LIFEBOAT_ETCD_CA_REF}, {@code LIFEBOAT_ETCD_CERT_REF}, {@code LIFEBOAT_ETCD_KEY_REF},
 * {@code LIFEBOAT_ETCD_USER_REF} and {@code LIFEBOAT_ETCD_PASSWORD_REF} ({@code file:/path} or {@code env:NAME}).
 */
public final class RunMain {

    /** The services and their documented ports, in start order. */
    static final Map<String, Integer> SERVICES = services();

    /** The Lifeboat cluster id the agents of make run's etcd serve: register the local etcd under this id. */
    static final String LOCAL_CLUSTER = "local";

    /** Held so that the level set on them is not lost with a collected logger. */
    private static final List<java.util.logging.Logger> QUIETED = new ArrayList<>();

    private final List<QuarkusService> services = Collections.synchronizedList(new ArrayList<>());
    private volatile LocalStack stack;
    private volatile EtcdAgents agents;

    private RunMain() {
    }

    private static Map<String, Integer> services() {
        Map<String, Integer> services = new LinkedHashMap<>();
        services.put("scheduler-service", 8081);
        services.put("snapshot-service", 8082);
        services.put("retention-service", 8083);
        services.put("restore-service", 8084);
        return Collections.unmodifiableMap(services);
    }

    /** How long make run's admin token lives; a new one is written at every start. */
    private static final Duration ADMIN_TOKEN_TTL = Duration.ofDays(30);

    private String adminToken;

    /** {@code .lifeboat/auth/admin.token}, which {@code ./lifeboat} reads by default. */
    private static Path adminTokenFile(StackOptions options) {
        return LocalStack.authDir(options).resolve("admin.token");
    }

    public static void main(String[] args) throws InterruptedException {
        quietLibraryLogging();
        Path repo = Path.of(".").toAbsolutePath().normalize();
        Path dataDir = null;
        int etcdMembers = 1;
        EtcdRelease release = EtcdRelease.DEFAULT;
        boolean tls = false;
        List<String> external = List.of();
        String clusterId = LOCAL_CLUSTER;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repo" -> repo = Path.of(value(args, ++i, "--repo")).toAbsolutePath().normalize();
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir")).toAbsolutePath().normalize();
                case "--etcd-members" -> etcdMembers = Integer.parseInt(value(args, ++i, "--etcd-members"));
                case "--etcd-endpoints" -> external = List.of(value(args, ++i, "--etcd-endpoints").split(","));
                case "--cluster-id" -> clusterId = value(args, ++i, "--cluster-id");
                case "--etcd-version" -> release = release(value(args, ++i, "--etcd-version"));
                case "--etcd-tls" -> tls = flag(value(args, ++i, "--etcd-tls"), "--etcd-tls (ETCD_TLS)");
                default -> fail("unknown argument " + args[i]
                        + " (known: --repo, --data-dir, --etcd-members, --etcd-version, --etcd-tls, --etcd-endpoints, --cluster-id)");
            }
        }
        if (dataDir == null) {
            dataDir = repo.resolve(".lifeboat");
        }
        new RunMain().run(repo, StackOptions.forRun(dataDir, external.isEmpty() ? etcdMembers : 0, Topics.all()).withEtcd(release, tls), external,
                clusterId);
    }

    private void run(Path repo, StackOptions options, List<String> externalEtcd, String clusterId) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll();
            stopped.countDown();
        }, "lifeboat-stop"));
        try {
            if (externalEtcd.isEmpty()) {
                checkEtcdShape(options);
            }
            System.out.println("lifeboat: starting etcd, Kafka, S3 and PostgreSQL under " + options.dataDir() + " ...");
            stack = LocalStack.start(options);
            adminToken = stack.token("make-run-admin", List.of("admin"), List.of(), ADMIN_TOKEN_TTL);
            LocalTokens.writeToken(adminTokenFile(options), adminToken);
            if (externalEtcd.isEmpty()) {
                System.out.println("lifeboat: starting " + options.etcdMembers() + " etcd " + options.etcdRelease().version() + " member(s)"
                        + (options.etcdTls() ? " with client-certificate TLS" : "") + ", each run by an etcd-agent ...");
                agents = EtcdAgents.start(repo, clusterId, stack.etcd(), stack, "http://127.0.0.1:" + SERVICES.get("snapshot-service"),
                        i -> EtcdAgents.AGENT_PORT + i, member -> Map.of());
            }
            Map<String, String> config = stack.quarkusConfig();
            System.out.println("lifeboat: starting " + String.join(", ", SERVICES.keySet()) + " ...");
            SERVICES.forEach((name, port) -> services.add(QuarkusService.start(repo, name, name, port, config, options.runDir())));
            services.parallelStream().forEach(service -> service.awaitReady(Duration.ofSeconds(120)));
        } catch (StackException e) {
            fail(e.getMessage());
        }
        List<String> done = setUp(clusterId, externalEtcd);
        printSummary(options, clusterId, externalEtcd, done);
        stopped.await();
    }

    /**
     * etcd keeps its data between runs, and a member restarted on its data ignores the member list it is
     * given: started as one of three after a one-member run, etcd-0 would go on as a cluster of its own
     * beside the two new members (two clusters answering on one endpoint list). So the shape of the local
     * etcd (members, version, TLS) is written to {@code .lifeboat/etcd/shape} and a run asking for another
     * stops with what to do. Going from 3.4 to 3.5 is an upgrade etcd supports; 3.5 to 3.4 is not.
     */
    static void checkEtcdShape(StackOptions options) {
        Path etcdDir = options.dataDir().resolve("etcd");
        Path file = etcdDir.resolve("shape");
        String wanted = shape(options.etcdMembers(), options.etcdRelease().version(), options.etcdTls());
        try {
            String found = Files.exists(file) ? Files.readString(file).trim()
                    : Files.isDirectory(etcdDir.resolve("etcd-0").resolve("member")) ? shape(1, "3.4", false) : null;
            boolean upgrade = found != null && found.equals(shape(options.etcdMembers(), "3.4", options.etcdTls()))
                    && options.etcdRelease() == EtcdRelease.V3_5;
            if (found != null && !found.equals(wanted) && !upgrade) {
                throw new StackException(options.dataDir() + " holds the etcd data of an earlier 'make run' with " + found + ", not " + wanted
                        + ": run it with the same settings, or 'make clean' first (which deletes that etcd's data and every backup in "
                        + options.dataDir() + ")");
            }
            Files.createDirectories(etcdDir);
            Files.writeString(file, wanted + "\n");
        } catch (IOException e) {
            throw new StackException("cannot read or write " + file + ": " + e.getMessage());
        }
    }

    private static String shape(int members, String version, boolean tls) {
        return members + " member(s), etcd " + version + ", " + (tls ? "https with client certificates" : "http");
    }

    /** Registers the etcd as the cluster (with a default policy when new) and takes a first backup; returns what happened. */
    private List<String> setUp(String clusterId, List<String> externalEtcd) {
        LocalCluster cluster = new LocalCluster(url("scheduler-service"), url("snapshot-service"), adminToken);
        List<String> done = new ArrayList<>();
        try {
            if (externalEtcd.isEmpty()) {
                List<LocalCluster.Member> members = stack.etcd().members().stream()
                        .map(m -> new LocalCluster.Member(m.name(), m.peerUrl(), m.clientUrl())).toList();
                done.add(cluster.register(clusterId, List.of(stack.etcd().endpoints().split(",")), members, localTls(), Map.of()));
            } else {
                done.add(cluster.register(clusterId, externalEtcd, List.of(), references("CA_REF", "caRef", "CERT_REF", "certRef", "KEY_REF", "keyRef"),
                        references("USER_REF", "userRef", "PASSWORD_REF", "passwordRef")));
            }
            done.add(cluster.firstBackup(clusterId, Duration.ofSeconds(90)));
        } catch (dev.lifeboat.cli.CliException e) {
            done.add("setting up cluster " + clusterId + " failed: " + e.getMessage());
        }
        return done;
    }

    /** With TLS, references to the local etcd's CA and client certificate files (never their contents). */
    private Map<String, String> localTls() {
        if (!stack.options().etcdTls()) {
            return Map.of();
        }
        EtcdTls files = stack.options().etcdTlsFiles();
        return Map.of("caRef", "file:" + files.ca(), "certRef", "file:" + files.clientCert(), "keyRef", "file:" + files.clientKey());
    }

    /** {@code LIFEBOAT_ETCD_<NAME>} variables as the cluster's references (never values). */
    private static Map<String, String> references(String... pairs) {
        Map<String, String> found = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            String value = System.getenv("LIFEBOAT_ETCD_" + pairs[i]);
            if (value != null && !value.isBlank()) {
                found.put(pairs[i + 1], value);
            }
        }
        return found;
    }

    private static String url(String service) {
        return "http://127.0.0.1:" + SERVICES.get(service);
    }

    private void printSummary(StackOptions options, String clusterId, List<String> externalEtcd, List<String> done) {
        System.out.println();
        System.out.println("Lifeboat is up. Ctrl-C stops everything.");
        done.forEach(line -> System.out.println("  " + line));
        System.out.println();
        if (externalEtcd.isEmpty()) {
            System.out.printf("  etcd        %s (etcd %s%s; cluster %s; members %s)%n", stack.etcd().endpoints(), options.etcdRelease().version(),
                    options.etcdTls() ? ", https with client certificates" : "", clusterId, stack.etcd().initialCluster());
            if (options.etcdTls()) {
                EtcdTls files = options.etcdTlsFiles();
                System.out.printf("  etcdctl     %s --endpoints %s --cacert %s --cert %s --key %s endpoint status%n", options.etcdRelease().etcdctl(),
                        stack.etcd().endpoints(), files.ca(), files.clientCert(), files.clientKey());
            }
            for (QuarkusService agent : agents.agents()) {
                System.out.printf("  %-18s %s/api/v1/member%n", agent.name(), agent.url());
            }
        } else {
            System.out.printf("  etcd        %s (yours; cluster %s — no etcd-agent runs it, so restores are mode API)%n", String.join(",", externalEtcd),
                    clusterId);
        }
        System.out.printf("  Kafka       %s%n", stack.kafka().bootstrapServers());
        System.out.printf("  S3          %s (bucket %s)%n", stack.s3().endpoint(), StackOptions.BUCKET);
        System.out.printf("  PostgreSQL  %s%n", stack.postgres().jdbcUrl());
        for (QuarkusService service : services) {
            System.out.printf("  %-18s %s  (health %s/q/health/ready, OpenAPI %s/q/openapi)%n", service.name(),
                    service.url(), service.url(), service.url());
        }
        System.out.printf("  logs        %s%n", options.runDir());
        System.out.println();
        Path token = options.dataDir().getParent().relativize(adminTokenFile(options));
        System.out.printf("Every API needs a bearer token. Yours (admin, %d days): %s — ./lifeboat reads it.%n", ADMIN_TOKEN_TTL.toDays(), token);
        System.out.printf("  ./lifeboat token create --role viewer --cluster %s --ttl 24h     # a narrower one for a dashboard or a colleague%n",
                clusterId);
        System.out.println();
        System.out.println("Try:");
        System.out.printf("  ./lifeboat snapshots list --cluster %s%n", clusterId);
        System.out.printf("  ./lifeboat backup now --cluster %s --wait%n", clusterId);
        System.out.printf("  ./lifeboat restore --cluster %s --snapshot latest --mode %s --wait%n", clusterId, externalEtcd.isEmpty() ? "REPLACE" : "API");
        System.out.printf("  ./lifeboat timeline --cluster %s%n", clusterId);
        System.out.printf("  ./lifeboat retention preview --cluster %s%n", clusterId);
        System.out.printf("  curl -H \"Authorization: Bearer $(cat %s)\" %s/api/v1/clusters/%s/timeline%n",
                options.dataDir().getParent().relativize(adminTokenFile(options)), url("scheduler-service"), clusterId);
        System.out.flush();
    }

    private void stopAll() {
        List<QuarkusService> running = new ArrayList<>(services);
        running.parallelStream().forEach(QuarkusService::close);
        if (agents != null) {
            agents.close();
        }
        if (stack != null) {
            stack.close();
        }
        System.out.println("lifeboat: stopped.");
    }

    /** Kafka's admin client and the PostgreSQL extractor log every detail at INFO; make run shows only warnings. */
    private static void quietLibraryLogging() {
        for (String name : List.of("org.apache.kafka", "io.zonky")) {
            java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
            logger.setLevel(java.util.logging.Level.WARNING);
            QUIETED.add(logger);
        }
    }

    private static EtcdRelease release(String version) {
        try {
            return EtcdRelease.of(version);
        } catch (StackException e) {
            fail(e.getMessage());
            return null;
        }
    }

    private static boolean flag(String value, String name) {
        if (!value.equals("true") && !value.equals("false")) {
            fail(name + " must be true or false, not '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static String value(String[] args, int index, String flag) {
        if (index >= args.length) {
            fail(flag + " needs a value");
        }
        return args[index];
    }

    private static void fail(String message) {
        System.err.println("lifeboat: " + message);
        System.exit(1);
    }
}
