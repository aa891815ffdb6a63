package dev.lifeboat.run;

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
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackException;
import dev.lifeboat.stack.StackOptions;

/**
 * {@code make run}: the local stack on its documented ports, etcd run by one etcd-agent per member
 * (cluster id {@code local}), then the four services, each waited for until {@code /q/health/ready} is UP. Runs until Ctrl-C or SIGTERM, then stops every child process.
 *
 * <pre>
 * java -jar deploy/run/target/lifeboat-run.jar [--repo DIR] [--data-dir DIR] [--etcd-members 1|3]
 * </pre>
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

    public static void main(String[] args) throws InterruptedException {
        quietLibraryLogging();
        Path repo = Path.of(".").toAbsolutePath().normalize();
        Path dataDir = null;
        int etcdMembers = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--repo" -> repo = Path.of(value(args, ++i, "--repo")).toAbsolutePath().normalize();
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, "--data-dir")).toAbsolutePath().normalize();
                case "--etcd-members" -> etcdMembers = Integer.parseInt(value(args, ++i, "--etcd-members"));
                default -> fail("unknown argument " + args[i] + " (known: --repo, --data-dir, --etcd-members)");
            }
        }
        if (dataDir == null) {
            dataDir = repo.resolve(".lifeboat");
        }
        new RunMain().run(repo, StackOptions.forRun(dataDir, etcdMembers, Topics.all()));
    }

    private void run(Path repo, StackOptions options) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopAll();
            stopped.countDown();
        }, "lifeboat-stop"));
        try {
            System.out.println("lifeboat: starting etcd, Kafka, S3 and PostgreSQL under " + options.dataDir() + " ...");
            stack = LocalStack.start(options);
            System.out.println("lifeboat: starting " + options.etcdMembers() + " etcd member(s), each run by an etcd-agent ...");
            agents = EtcdAgents.start(repo, LOCAL_CLUSTER, stack.etcd(), stack.kafka().bootstrapServers(),
                    "http://127.0.0.1:" + SERVICES.get("snapshot-service"), options.runDir(), i -> EtcdAgents.AGENT_PORT + i, member -> Map.of());
            Map<String, String> config = stack.quarkusConfig();
            System.out.println("lifeboat: starting " + String.join(", ", SERVICES.keySet()) + " ...");
            SERVICES.forEach((name, port) -> services.add(QuarkusService.start(repo, name, name, port, config, options.runDir())));
            services.parallelStream().forEach(service -> service.awaitReady(Duration.ofSeconds(120)));
        } catch (StackException e) {
            fail(e.getMessage());
        }
        printSummary(options);
        stopped.await();
    }

    private void printSummary(StackOptions options) {
        System.out.println();
        System.out.println("Lifeboat is up. Ctrl-C stops everything.");
        System.out.printf("  etcd        %s (cluster id for the agents: %s; members %s)%n", stack.etcd().endpoints(), LOCAL_CLUSTER,
                stack.etcd().initialCluster());
        for (QuarkusService agent : agents.agents()) {
            System.out.printf("  %-18s %s/api/v1/member%n", agent.name(), agent.url());
        }
        System.out.printf("  Kafka       %s%n", stack.kafka().bootstrapServers());
        System.out.printf("  S3          %s (bucket %s)%n", stack.s3().endpoint(), StackOptions.BUCKET);
        System.out.printf("  PostgreSQL  %s%n", stack.postgres().jdbcUrl());
        for (QuarkusService service : services) {
            System.out.printf("  %-18s %s  (health %s/q/health/ready, OpenAPI %s/q/openapi)%n", service.name(),
                    service.url(), service.url(), service.url());
        }
        System.out.printf("  logs        %s%n", options.runDir());
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
