package dev.lifeboat.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.lifeboat.events.Topics;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;

/**
 * Lifeboat as a user runs it, once per test run (the e2e classes share it): the local stack, one etcd member
 * ({@code e2e-0} of cluster {@code e2e}) run by an etcd-agent, and the four services as built, every one
 * exporting its traces to a receiver in the test. A test class asks for it with {@code @ExtendWith(RunningLifeboat.Shared.class)};
 * it is stopped when the test run ends (JUnit closes its root store), not in a JVM shutdown hook, which surefire
 * may cut short.
 */
final class RunningLifeboat implements ExtensionContext.Store.CloseableResource {

    static final String CLUSTER = "e2e";
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static RunningLifeboat running;
    private static Exception failed;

    OtlpReceiver traces;
    LocalStack stack;
    EtcdAgents agents;
    EtcdCluster.Member member;
    final Map<String, String> urls = new HashMap<>();
    private final List<QuarkusService> services = new ArrayList<>();

    private RunningLifeboat() {
    }

    private void startAll() throws Exception {
        traces = new OtlpReceiver();
        Path dir = Path.of("target", "e2e-" + ProcessHandle.current().pid()).toAbsolutePath();
        stack = LocalStack.start(StackOptions.forTests(dir, Topics.all()).withEtcdByAgents(true));
        Map<String, String> config = new HashMap<>(stack.quarkusConfig());
        config.remove("local-stack.etcd-endpoints");
        config.put("quarkus.otel.exporter.otlp.traces.endpoint", traces.endpoint());
        config.put("quarkus.otel.exporter.otlp.traces.protocol", "http/protobuf");
        config.put("quarkus.otel.bsp.schedule.delay", "200ms");
        Map<String, Integer> ports = Map.of("scheduler-service", Ports.free(), "snapshot-service", Ports.free(), "retention-service", Ports.free(),
                "restore-service", Ports.free());
        ports.forEach((name, port) -> urls.put(name, "http://127.0.0.1:" + port));
        EtcdCluster.Member planned = stack.etcd().members().get(0);
        member = new EtcdCluster.Member("e2e-0", planned.clientPort(), planned.peerPort(), planned.dataDir());
        agents = EtcdAgents.start(REPO, CLUSTER, EtcdCluster.planned(List.of(member)), stack, urls.get("snapshot-service"), i -> Ports.free(),
                m -> Map.of("quarkus.otel.exporter.otlp.traces.endpoint", traces.endpoint(), "quarkus.otel.exporter.otlp.traces.protocol",
                        "http/protobuf", "quarkus.otel.bsp.schedule.delay", "200ms"));
        urls.put("etcd-agent", agents.agents().get(0).url());
        ports.forEach((name, port) -> services.add(QuarkusService.start(REPO, name, name, port, config, stack.options().runDir())));
        services.parallelStream().forEach(service -> service.awaitReady(WAIT));
    }

    /** Starts Lifeboat for the first test class of the run and keeps it in JUnit's root store, which closes it at the end. */
    static final class Shared implements BeforeAllCallback {

        @Override
        public void beforeAll(ExtensionContext context) {
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).getOrComputeIfAbsent(RunningLifeboat.class, key -> start(),
                    RunningLifeboat.class);
        }
    }

    /** The running Lifeboat; a start that failed was stopped, and every later caller gets its failure. */
    static synchronized RunningLifeboat get() {
        if (failed != null) {
            throw new IllegalStateException("Lifeboat did not start for the e2e tests: " + failed.getMessage(), failed);
        }
        if (running == null) {
            throw new IllegalStateException("a test class needs @ExtendWith(RunningLifeboat.Shared.class)");
        }
        return running;
    }

    private static synchronized RunningLifeboat start() {
        RunningLifeboat starting = new RunningLifeboat();
        try {
            starting.startAll();
        } catch (Exception e) {
            starting.close();
            failed = e;
            throw new IllegalStateException("Lifeboat did not start for the e2e tests: " + e.getMessage(), e);
        }
        running = starting;
        return running;
    }

    String url(String service) {
        return urls.get(service);
    }

    @Override
    public void close() {
        services.parallelStream().forEach(QuarkusService::close);
        if (agents != null) {
            agents.close();
        }
        if (stack != null) {
            stack.close();
        }
        if (traces != null) {
            traces.close();
        }
    }
}
