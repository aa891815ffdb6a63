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
    private final Map<String, QuarkusService> services = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> configs = new HashMap<>();
    private final Map<String, Integer> ports = new HashMap<>();

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
        // A claim lapses sooner than by default, so a service killed in the fault tests is taken over in seconds.
        Map<String, Map<String, String>> own = Map.of("snapshot-service", Map.of("lifeboat.snapshots.claim-duration", "15s"), "restore-service",
                Map.of("lifeboat.restore.claim-duration", "15s"));
        ports.forEach((name, port) -> {
            Map<String, String> serviceConfig = new HashMap<>(config);
            serviceConfig.putAll(own.getOrDefault(name, Map.of()));
            configs.put(name, Map.copyOf(serviceConfig));
            this.ports.put(name, port);
            services.put(name, QuarkusService.start(REPO, name, name, port, serviceConfig, stack.options().runDir()));
        });
        services.values().parallelStream().forEach(service -> service.awaitReady(WAIT));
    }

    /** Kills one of the four services with SIGKILL, as a crash or an OOM kill would; {@link #restart} brings it back. */
    synchronized void kill(String service) {
        QuarkusService running = services.get(service);
        ProcessHandle.of(running.pid()).ifPresent(process -> {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            process.onExit().join();
        });
    }

    /** Starts a killed service again on its port with its configuration; returns when it is ready. */
    synchronized void restart(String service) {
        services.put(service, QuarkusService.start(REPO, service, service, ports.get(service), configs.get(service), stack.options().runDir())
                .awaitReady(WAIT));
    }

    /** The process ids of the four services as running now. */
    synchronized Map<String, Long> pids() {
        Map<String, Long> pids = new HashMap<>();
        services.forEach((name, service) -> pids.put(name, service.pid()));
        return pids;
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
        services.values().parallelStream().forEach(QuarkusService::close);
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
