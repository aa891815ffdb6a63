package dev.lifeboat.stack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker and controller, one node), run as a child
 * JVM from the jars that {@code deploy/kafka-server} resolved from Maven Central. {@link #startSecured} runs it
 * as production should: every client authenticates (SASL/SCRAM-SHA-512) and may do only what ACLs grant.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final String CLASSPATH_RESOURCE = "/dev/lifeboat/stack/kafka-server.classpath";
    private static final String SCRAM = "SCRAM-SHA-512";
    /** The secured broker's super user: it creates topics and grants ACLs. */
    private static final String ADMIN = "admin";

    private final int port;
    private ManagedProcess process;
    /** Client settings of the super user: empty for a plain broker. */
    private final Map<String, Object> adminSecurity;
    /** How to start the broker again ({@link #restart()}). */
    private final String name;
    private final List<String> command;
    private final Path home;
    private final Path runDir;

    private KafkaBroker(int port, ManagedProcess process, Map<String, Object> adminSecurity, String name, List<String> command, Path home,
            Path runDir) {
        this.port = port;
        this.process = process;
        this.adminSecurity = adminSecurity;
        this.name = name;
        this.command = command;
        this.home = home;
        this.runDir = runDir;
    }

    static KafkaBroker start(StackOptions options) {
        return start(options, options.dataDir().resolve("kafka"), null);
    }

    /**
     * A broker under {@code home} whose one client listener takes SASL/SCRAM-SHA-512 (the controller listener, which
     * KRaft cannot run on SCRAM, takes SASL/PLAIN) and whose StandardAuthorizer allows nothing without an ACL:
     * {@code users} (name → password) can log in and do nothing until {@link #allow} grants it. Topics of
     * {@code options} are created by its super user.
     */
    public static KafkaBroker startSecured(StackOptions options, Path home, Map<String, String> users) {
        return start(options, home, users);
    }

    /** Client settings that log in as {@code user} (what a service gets as {@code kafka.security.protocol} etc.). */
    public static Map<String, String> saslClientConfig(String user, String password) {
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", SCRAM, "sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + user + "\" password=\"" + password + "\";");
    }

    private static KafkaBroker start(StackOptions options, Path home, Map<String, String> users) {
        int port = options.port(StackOptions.KAFKA_PORT, "Kafka");
        int controllerPort = options.port(StackOptions.KAFKA_CONTROLLER_PORT, "Kafka controller");
        boolean secured = users != null;
        String adminPassword = UUID.randomUUID().toString();
        Path logDir = home.resolve("data");
        Path config = home.resolve("server.properties");
        Path log4j = home.resolve("log4j2.properties");
        String classpath = classpath();
        try {
            Files.createDirectories(home);
            String listener = secured ? "SASL_PLAINTEXT" : "PLAINTEXT";
            Files.writeString(config, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "listeners=" + listener + "://" + Ports.HOST + ":" + port + ",CONTROLLER://" + Ports.HOST + ":" + controllerPort,
                    "advertised.listeners=" + listener + "://" + Ports.HOST + ":" + port,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=" + listener,
                    "listener.security.protocol.map=" + listener + ":" + listener + ",CONTROLLER:" + (secured ? "SASL_PLAINTEXT" : "PLAINTEXT"),
                    "controller.quorum.bootstrap.servers=" + Ports.HOST + ":" + controllerPort,
                    secured ? securedSettings(adminPassword) : "",
                    "log.dirs=" + logDir,
                    "num.partitions=1",
                    // Topics are created explicitly with their partition counts; a typo must not create one.
                    "auto.create.topics.enable=false",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=6",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "log.flush.interval.messages=100000",
                    "") + "\n", StandardCharsets.UTF_8);
            Files.writeString(log4j, String.join("\n",
                    "rootLogger.level=WARN",
                    "rootLogger.appenderRef.stdout.ref=STDOUT",
                    "appender.stdout.type=Console",
                    "appender.stdout.name=STDOUT",
                    "appender.stdout.layout.type=PatternLayout",
                    "appender.stdout.layout.pattern=%d{ISO8601} %p %c{1} %m%n",
                    "logger.kafka.name=kafka.server.KafkaRaftServer",
                    "logger.kafka.level=INFO",
                    ""), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new StackException("cannot write Kafka configuration under " + home + ": " + e.getMessage(), e);
        }
        List<String> jvm = List.of(Binaries.java(), "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC",
                "-Dlog4j2.configurationFile=" + log4j, "-Dlog4j2.disable.jmx=true", "-cp", classpath);
        if (!Files.exists(logDir.resolve("meta.properties"))) {
            List<String> format = concat(jvm, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", config.toString(), "--standalone");
            if (secured) {
                format.addAll(List.of("--add-scram", SCRAM + "=[name=" + ADMIN + ",password=" + adminPassword + "]"));
                users.forEach((user, password) -> format.addAll(List.of("--add-scram", SCRAM + "=[name=" + user + ",password=" + password + "]")));
            }
            ManagedProcess.runToCompletion(secured ? "kafka-secured-format" : "kafka-format", format, home, options.runDir(), 120);
        }
        String name = secured ? "kafka-secured" : "kafka";
        List<String> command = concat(jvm, "kafka.Kafka", config.toString());
        ManagedProcess process = ManagedProcess.start(name, command, home, options.runDir(), Map.of());
        KafkaBroker broker = new KafkaBroker(port, process, secured ? Map.copyOf(saslClientConfig(ADMIN, adminPassword)) : Map.of(), name,
                List.copyOf(command), home, options.runDir());
        try {
            Ports.awaitAccepting(port, "Kafka", Duration.ofSeconds(60), process);
            broker.createTopics(options.topics());
            return broker;
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
    }

    /**
     * A random KRaft cluster id: 16 bytes, URL-safe base64 without padding — never starting with '-',
     * which the storage tool's argument parser would take for an option (one id in 64 did, and failed
     * the format: found by a CI run).
     */
    static String clusterId() {
        String id;
        do {
            UUID uuid = UUID.randomUUID();
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(16);
            bytes.putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
            id = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes.array());
        } while (id.startsWith("-"));
        return id;
    }

    /**
     * Authentication and authorisation of a secured broker: SCRAM on the client listener (the super user's
     * credentials for the broker's own connections), PLAIN with a static user on the controller listener, the
     * StandardAuthorizer with nothing allowed without an ACL.
     */
    private static String securedSettings(String adminPassword) {
        String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN + "\" password=\"" + adminPassword
                + "\" user_" + ADMIN + "=\"" + adminPassword + "\";";
        return String.join("\n",
                "sasl.enabled.mechanisms=" + SCRAM,
                "sasl.mechanism.inter.broker.protocol=" + SCRAM,
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                        + "username=\"" + ADMIN + "\" password=\"" + adminPassword + "\";",
                "sasl.mechanism.controller.protocol=PLAIN",
                "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
                "listener.name.controller.plain.sasl.jaas.config=" + plain,
                "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                "super.users=User:" + ADMIN,
                "allow.everyone.if.no.acl.found=false");
    }

    /**
     * Grants {@code user} what Lifeboat's services need, and only that: everything on topics named {@code lifeboat.*},
     * its consumer groups, idempotent writes. A secured broker only.
     */
    public void allowLifeboat(String user) {
        String principal = "User:" + user;
        List<AclBinding> acls = List.of(
                new AclBinding(new ResourcePattern(ResourceType.TOPIC, "lifeboat.", PatternType.PREFIXED),
                        new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW)),
                new AclBinding(new ResourcePattern(ResourceType.GROUP, "*", PatternType.LITERAL),
                        new AccessControlEntry(principal, "*", AclOperation.ALL, AclPermissionType.ALLOW)),
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                        new AccessControlEntry(principal, "*", AclOperation.IDEMPOTENT_WRITE, AclPermissionType.ALLOW)),
                new AclBinding(new ResourcePattern(ResourceType.CLUSTER, "kafka-cluster", PatternType.LITERAL),
                        new AccessControlEntry(principal, "*", AclOperation.DESCRIBE, AclPermissionType.ALLOW)));
        try (Admin admin = Admin.create(adminConfig())) {
            admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new StackException("cannot grant ACLs to " + user + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while granting ACLs", e);
        }
    }

    private Map<String, Object> adminConfig() {
        Map<String, Object> config = new java.util.HashMap<>(adminSecurity);
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return config;
    }

    private static List<String> concat(List<String> head, String... tail) {
        var all = new java.util.ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }

    private static String classpath() {
        try (InputStream in = KafkaBroker.class.getResourceAsStream(CLASSPATH_RESOURCE)) {
            if (in == null) {
                throw new StackException("the Kafka broker classpath is missing: build deploy/kafka-server first (./mvnw install -pl deploy/kafka-server)");
            }
            String classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
            for (String jar : classpath.split(java.io.File.pathSeparator)) {
                if (!Files.exists(Path.of(jar))) {
                    throw new StackException("Kafka broker jar " + jar + " is missing from the local Maven repository: rebuild (./mvnw install -pl deploy/kafka-server)");
                }
            }
            return classpath;
        } catch (IOException e) {
            throw new StackException("cannot read the Kafka broker classpath: " + e.getMessage(), e);
        }
    }

    /** Creates the topics that do not exist yet; existing ones are left as they are. */
    public void createTopics(Map<String, Integer> topics) {
        if (topics.isEmpty()) {
            return;
        }
        try (Admin admin = Admin.create(adminConfig())) {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = topics.entrySet().stream()
                    .filter(topic -> !existing.contains(topic.getKey()))
                    .map(topic -> new NewTopic(topic.getKey(), topic.getValue(), (short) 1))
                    .toList();
            admin.createTopics(missing).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new StackException("cannot create Kafka topics: " + e.getCause().getMessage(), e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while creating Kafka topics", e);
        } catch (TimeoutException e) {
            throw new StackException("Kafka did not answer within 30 s while creating topics; see " + process.logFile(), e);
        }
    }

    public String bootstrapServers() {
        return Ports.HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** Stops the broker (SIGTERM, then SIGKILL after a grace period); its data stays for {@link #restart()}. Outage tests use the pair. */
    public synchronized void stop() {
        process.stop();
    }

    /** Starts the stopped broker again on its port with its data; returns once it accepts connections. */
    public synchronized void restart() {
        process = ManagedProcess.start(name, command, home, runDir, Map.of());
        Ports.awaitAccepting(port, "Kafka", Duration.ofSeconds(60), process);
    }

    @Override
    public synchronized void close() {
        process.stop();
    }
}
