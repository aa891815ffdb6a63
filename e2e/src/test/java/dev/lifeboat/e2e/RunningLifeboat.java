package dev.lifeboat.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.lifeboat.events.Topics;
import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;
import dev.lifeboat.stack.StackOptions;

/**
 * Lifeboat as a user runs it, once per test JVM (the e2e classes share it): the local stack, one etcd member
 * ({@code e2e-0} of cluster {@code e2e}) run by an etcd-agent, and the four services as built, every one
 * exporting its traces to a receiver in the test. Stopped when the JVM exits.
 */
final class RunningLifeboat {

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

    private void start() throws Exception {
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

    /** The running Lifeboat; started by the first caller. A start that failed is stopped, and every later caller gets its failure. */
    static synchronized RunningLifeboat get() throws Exception {
        if (failed != null) {
            throw new IllegalStateException("Lifeboat did not start for the e2e tests: " + failed.getMessage(), failed);
        }
        if (running == null) {
            RunningLifeboat starting = new RunningLifeboat();
            try {
                starting.start();
            } catch (Exception e) {
                starting.stop();
                failed = e;
                throw e;
            }
            running = starting;
            Runtime.getRuntime().addShutdownHook(new Thread(running::stop, "e2e-stop"));
        }
        return running;
    }

    String url(String service) {
        return urls.get(service);
    }

    private void stop() {
        services.forEach(QuarkusService::close);
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
