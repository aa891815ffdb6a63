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
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A real Apache Kafka broker in KRaft mode (combined broker and controller, one node), run as a child
 * JVM from the jars that {@code deploy/kafka-server} resolved from Maven Central.
 */
public final class KafkaBroker implements AutoCloseable {

    private static final String CLASSPATH_RESOURCE = "/dev/lifeboat/stack/kafka-server.classpath";

    private final int port;
    private final ManagedProcess process;

    private KafkaBroker(int port, ManagedProcess process) {
        this.port = port;
        this.process = process;
    }

    static KafkaBroker start(StackOptions options) {
        int port = options.port(StackOptions.KAFKA_PORT, "Kafka");
        int controllerPort = options.port(StackOptions.KAFKA_CONTROLLER_PORT, "Kafka controller");
        Path home = options.dataDir().resolve("kafka");
        Path logDir = home.resolve("data");
        Path config = home.resolve("server.properties");
        Path log4j = home.resolve("log4j2.properties");
        String classpath = classpath();
        try {
            Files.createDirectories(home);
            Files.writeString(config, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "listeners=PLAINTEXT://" + Ports.HOST + ":" + port + ",CONTROLLER://" + Ports.HOST + ":" + controllerPort,
                    "advertised.listeners=PLAINTEXT://" + Ports.HOST + ":" + port,
                    "controller.listener.names=CONTROLLER",
                    "inter.broker.listener.name=PLAINTEXT",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "controller.quorum.bootstrap.servers=" + Ports.HOST + ":" + controllerPort,
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
            ManagedProcess.runToCompletion("kafka-format", concat(jvm, "kafka.tools.StorageTool", "format",
                    "-t", clusterId(), "-c", config.toString(), "--standalone"), home, options.runDir(), 120);
        }
        ManagedProcess process = ManagedProcess.start("kafka", concat(jvm, "kafka.Kafka", config.toString()),
                home, options.runDir(), Map.of());
        KafkaBroker broker = new KafkaBroker(port, process);
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
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
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

    @Override
    public void close() {
        process.stop();
    }
}
