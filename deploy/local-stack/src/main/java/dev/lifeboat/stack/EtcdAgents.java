package dev.lifeboat.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * etcd-agents (the built {@code etcd-agent} jar), one per member of a planned {@link EtcdCluster},
 * each supervising its member's etcd: how {@code make run} runs etcd, and how REPLACE tests and
 * benchmarks get members that can be restored. {@link #start} returns when every agent is ready and
 * every member answers {@code /health}.
 */
public final class EtcdAgents implements AutoCloseable {

    /** The first agent's HTTP port in {@code make run}; member i gets {@code AGENT_PORT + i}. */
    public static final int AGENT_PORT = 8090;

    private final List<QuarkusService> agents;

    private EtcdAgents(List<QuarkusService> agents) {
        this.agents = agents;
    }

    /**
     * Starts one agent per member of {@code cluster} under Lifeboat cluster id {@code clusterId}.
     * {@code agentPort} gives each agent's HTTP port; {@code extra} adds or overrides configuration of
     * one member's agent (may return an empty map).
     */
    public static EtcdAgents start(Path repo, String clusterId, EtcdCluster cluster, String kafkaBootstrap, String snapshotServiceUrl,
            Path runDir, Function<Integer, Integer> agentPort, Function<EtcdCluster.Member, Map<String, String>> extra) {
        List<CompletableFuture<QuarkusService>> starting = new ArrayList<>();
        List<EtcdCluster.Member> members = cluster.members();
        for (int i = 0; i < members.size(); i++) {
            EtcdCluster.Member member = members.get(i);
            Map<String, String> config = new HashMap<>();
            config.put("quarkus.devservices.enabled", "false");
            config.put("kafka.bootstrap.servers", kafkaBootstrap);
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
            config.putAll(extra.apply(member));
            int port = agentPort.apply(i);
            starting.add(CompletableFuture.supplyAsync(() -> QuarkusService.start(repo, "etcd-agent", "etcd-agent-" + member.name(), port, config,
                    runDir).awaitReady(Duration.ofSeconds(120))));
        }
        List<QuarkusService> started = new ArrayList<>();
        try {
            for (CompletableFuture<QuarkusService> agent : starting) {
                started.add(agent.join());
            }
            for (EtcdCluster.Member member : members) {
                HttpProbe.await(member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(60), null,
                        "etcd member " + member.name() + " (run by its etcd-agent; see " + member.dataDir() + ".log)");
            }
        } catch (RuntimeException e) {
            starting.forEach(agent -> agent.thenAccept(QuarkusService::close));
            throw e;
        }
        return new EtcdAgents(started);
    }

    public List<QuarkusService> agents() {
        return agents;
    }

    /** Stops the agents, and with them their etcd members. */
    @Override
    public void close() {
        agents.parallelStream().forEach(QuarkusService::close);
    }
}
