package dev.lifeboat.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

import dev.lifeboat.tokens.LocalTokens;

/**
 * etcd-agents (the built {@code etcd-agent} jar), one per member of a planned {@link EtcdCluster},
 * each supervising its member's etcd: how {@code make run} runs etcd, and how REPLACE tests and
 * benchmarks get members that can be restored. {@link #start} returns when every agent is ready and
 * every member answers {@code /health}.
 */
public final class EtcdAgents implements AutoCloseable {

    /** The first agent's HTTP port in {@code make run}; member i gets {@code AGENT_PORT + i}. */
    public static final int AGENT_PORT = 8090;

    /** How to start one member's agent again. */
    private record Launch(Path repo, String name, int port, Map<String, String> config, Path runDir) {

        QuarkusService start() {
            return QuarkusService.start(repo, "etcd-agent", name, port, config, runDir).awaitReady(Duration.ofSeconds(120));
        }
    }

    private final List<QuarkusService> agents;
    private final List<Launch> launches;

    private EtcdAgents(List<QuarkusService> agents, List<Launch> launches) {
        this.agents = new ArrayList<>(agents);
        this.launches = launches;
    }

    /**
     * Starts one agent per member of {@code cluster} under Lifeboat cluster id {@code clusterId}, on the stack's
     * Kafka, verifying callers with the stack's token key, and fetching content from snapshot-service with a
     * restorer token for its cluster (written to {@code <run dir>/agents/<member>.token}, readable by its owner only).
     * The agents run the stack's etcd release (etcdutl restores where it has one) and, for members that talk https,
     * its TLS material ({@link EtcdTls}).
     * {@code agentPort} gives each agent's HTTP port; {@code extra} adds or overrides configuration of
     * one member's agent (may return an empty map).
     */
    public static EtcdAgents start(Path repo, String clusterId, EtcdCluster cluster, LocalStack stack, String snapshotServiceUrl,
            Function<Integer, Integer> agentPort, Function<EtcdCluster.Member, Map<String, String>> extra) {
        Path runDir = stack.options().runDir();
        EtcdRelease release = stack.options().etcdRelease();
        List<CompletableFuture<QuarkusService>> starting = new ArrayList<>();
        List<Launch> launches = new ArrayList<>();
        List<EtcdCluster.Member> members = cluster.members();
        for (int i = 0; i < members.size(); i++) {
            EtcdCluster.Member member = members.get(i);
            Map<String, String> config = agentConfig(clusterId, cluster, member, stack, snapshotServiceUrl);
            config.putAll(extra.apply(member));
            int index = i;
            Map<String, String> frozen = Map.copyOf(config);
            launches.add(null);
            starting.add(CompletableFuture.supplyAsync(() -> launch(repo, "etcd-agent-" + member.name(), () -> agentPort.apply(index), frozen,
                    runDir, launch -> {
                        synchronized (launches) {
                            launches.set(index, launch);
                        }
                    })));
        }
        List<QuarkusService> started = new ArrayList<>();
        try {
            for (CompletableFuture<QuarkusService> agent : starting) {
                started.add(agent.join());
            }
            for (EtcdCluster.Member member : members) {
                String owner = "etcd " + release.version() + " member " + member.name() + " (run by its etcd-agent; see " + member.dataDir() + ".log)";
                if (member.tls()) {
                    HttpProbe.await(stack.options().etcdTlsFiles(), member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(60), null, owner);
                } else {
                    HttpProbe.await(member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(60), null, owner);
                }
            }
        } catch (RuntimeException e) {
            starting.forEach(agent -> agent.thenAccept(QuarkusService::close));
            throw e;
        }
        return new EtcdAgents(started, launches);
    }

    /**
     * Starts one agent; a free port picked for a test can be taken by another process before the agent binds it,
     * so a port in use is picked again (five tries). {@code current} learns each launch, for stopping it.
     */
    private static QuarkusService launch(Path repo, String name, java.util.function.Supplier<Integer> port, Map<String, String> config, Path runDir,
            java.util.function.Consumer<Launch> current) {
        for (int attempt = 1; ; attempt++) {
            Launch launch = new Launch(repo, name, port.get(), config, runDir);
            current.accept(launch);
            try {
                return launch.start();
            } catch (Ports.PortInUseException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /** What an etcd-agent of {@code member} is configured with: the stack's Kafka and token issuer, its member and etcd release. */
    private static Map<String, String> agentConfig(String clusterId, EtcdCluster cluster, EtcdCluster.Member member, LocalStack stack,
            String snapshotServiceUrl) {
        Path runDir = stack.options().runDir();
        Map<String, String> stackConfig = stack.quarkusConfig();
        EtcdRelease release = stack.options().etcdRelease();
        Map<String, String> config = new HashMap<>();
        config.put("quarkus.devservices.enabled", "false");
        config.put("kafka.bootstrap.servers", stack.kafka().bootstrapServers());
        for (String key : List.of("quarkus.oidc.public-key", "quarkus.oidc.token.issuer", "quarkus.http.host")) {
            config.put(key, stackConfig.get(key));
        }
        Path token = LocalTokens.writeToken(runDir.resolve("agents").resolve(member.name() + ".token"),
                stack.token("etcd-agent-" + member.name(), List.of("restorer"), List.of(clusterId), Duration.ofDays(30)));
        config.put("lifeboat.agent.snapshot-service-token", "file:" + token);
        config.put("lifeboat.agent.cluster-id", clusterId);
        config.put("lifeboat.agent.member-name", member.name());
        config.put("lifeboat.agent.etcd.data-dir", member.dataDir().toString());
        config.put("lifeboat.agent.etcd.peer-url", member.peerUrl());
        config.put("lifeboat.agent.etcd.client-url", member.clientUrl());
        config.put("lifeboat.agent.etcd.initial-cluster", cluster.initialCluster());
        config.put("lifeboat.agent.etcd.initial-cluster-token", clusterId + "-initial");
        // Room for benchmark-sized keyspaces, as the stack's own etcd has.
        config.put("lifeboat.agent.etcd.extra-args", "--quota-backend-bytes," + (8L << 30));
        config.put("lifeboat.agent.snapshot-service-url", snapshotServiceUrl);
        config.put("lifeboat.agent.etcd.binary", release.etcd().toString());
        config.put("lifeboat.agent.etcdctl", release.etcdctl().toString());
        config.put("lifeboat.agent.etcdutl", release.etcdutl().map(Path::toString).orElse("none"));
        if (member.tls()) {
            EtcdTls tls = stack.options().etcdTlsFiles();
            config.put("lifeboat.agent.etcd.tls.ca-file", tls.ca().toString());
            config.put("lifeboat.agent.etcd.tls.cert-file", tls.memberCert().toString());
            config.put("lifeboat.agent.etcd.tls.key-file", tls.memberKey().toString());
        }
        return config;
    }

    /**
     * An agent's configuration that makes it restore with {@code tool} — a test's wrapper around the release's own
     * {@link EtcdRelease#restoreTool()}: as etcdutl where the release has one, as etcdctl (and no etcdutl) on 3.4.
     */
    public static Map<String, String> restoreToolConfig(EtcdRelease release, Path tool) {
        return release.etcdutl().isPresent() ? Map.of("lifeboat.agent.etcdutl", tool.toString())
                : Map.of("lifeboat.agent.etcdctl", tool.toString(), "lifeboat.agent.etcdutl", "none");
    }

    public synchronized List<QuarkusService> agents() {
        return List.copyOf(agents);
    }

    /**
     * Kills member {@code index}'s agent with SIGKILL, with every process it runs except etcd, which
     * lives on — as when an agent crashes on a VM where etcd is a process of its own. For crash tests.
     */
    public synchronized void kill(int index) {
        ProcessHandle.of(agents.get(index).pid()).ifPresent(agent -> {
            List<ProcessHandle> helpers = agent.descendants()
                    .filter(child -> !child.info().command().map(command -> command.endsWith("/etcd")).orElse(false)).toList();
            agent.destroyForcibly();
            helpers.forEach(ProcessHandle::destroyForcibly);
            agent.onExit().join();
            helpers.forEach(helper -> helper.onExit().join());
        });
    }

    /** Starts member {@code index}'s agent again with the same configuration; returns when it is ready. */
    public synchronized QuarkusService restart(int index) {
        QuarkusService agent = launches.get(index).start();
        agents.set(index, agent);
        return agent;
    }

    /**
     * Starts member {@code index}'s agent again with {@code overrides} on its configuration, this once (a later
     * {@link #restart(int)} has the usual configuration again); returns when it is ready.
     */
    public synchronized QuarkusService restart(int index, Map<String, String> overrides) {
        Launch usual = launches.get(index);
        Map<String, String> config = new HashMap<>(usual.config());
        config.putAll(overrides);
        QuarkusService agent = new Launch(usual.repo(), usual.name(), usual.port(), Map.copyOf(config), usual.runDir()).start();
        agents.set(index, agent);
        return agent;
    }

    /** Stops the agents, and with them their etcd members. */
    @Override
    public synchronized void close() {
        agents.parallelStream().forEach(QuarkusService::close);
    }
}
