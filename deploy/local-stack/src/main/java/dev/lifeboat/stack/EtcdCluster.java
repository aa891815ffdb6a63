package dev.lifeboat.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One or three etcd members from the {@code etcd} binary (Debian's {@code etcd-server}), each with its
 * own data directory under {@code <root>/etcd/<member>}.
 */
public final class EtcdCluster implements AutoCloseable {

    /** The ports of one member. */
    public record Member(String name, int clientPort, int peerPort, Path dataDir) {

        public String clientUrl() {
            return "http://" + Ports.HOST + ":" + clientPort;
        }

        public String peerUrl() {
            return "http://" + Ports.HOST + ":" + peerPort;
        }
    }

    private final List<Member> members;
    private final List<ManagedProcess> processes = new ArrayList<>();

    private EtcdCluster(List<Member> members) {
        this.members = List.copyOf(members);
    }

    /**
     * The members' names, ports and data dirs, without starting anything: for etcd-agents to run them
     * ({@link StackOptions#etcdByAgents()}).
     */
    public static EtcdCluster planned(StackOptions options) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < options.etcdMembers(); i++) {
            String name = "etcd-" + i;
            int clientPort = options.port(StackOptions.ETCD_CLIENT_PORT + 10 * i, "etcd " + name + " client");
            int peerPort = options.port(StackOptions.ETCD_PEER_PORT + 10 * i, "etcd " + name + " peer");
            members.add(new Member(name, clientPort, peerPort, options.dataDir().resolve("etcd").resolve(name)));
        }
        return new EtcdCluster(members);
    }

    /** Members named and placed by the caller, not started: for etcd-agents to run them. */
    public static EtcdCluster planned(List<Member> members) {
        return new EtcdCluster(members);
    }

    public static EtcdCluster start(StackOptions options) {
        Path binary = Binaries.require("etcd",
                "install Debian's etcd-server package (sudo apt-get install -y etcd-server); 'make test' and 'make run' do this");
        EtcdCluster cluster = planned(options);
        List<Member> members = cluster.members;
        try {
            String initialCluster = cluster.initialCluster();
            for (Member member : members) {
                cluster.processes.add(ManagedProcess.start(member.name(), List.of(binary.toString(),
                        "--name", member.name(),
                        "--data-dir", member.dataDir().toString(),
                        "--listen-client-urls", member.clientUrl(),
                        "--advertise-client-urls", member.clientUrl(),
                        "--listen-peer-urls", member.peerUrl(),
                        "--initial-advertise-peer-urls", member.peerUrl(),
                        "--initial-cluster", initialCluster,
                        "--initial-cluster-token", "lifeboat-local",
                        "--initial-cluster-state", "new",
                        // Room for benchmark-sized keyspaces; etcd refuses writes beyond its quota (2 GB by default).
                        "--quota-backend-bytes", Long.toString(8L << 30),
                        "--logger", "zap",
                        "--log-outputs", "stderr"),
                        options.dataDir().resolve("etcd"), options.runDir(), Map.of()));
            }
            for (int i = 0; i < members.size(); i++) {
                awaitHealthy(members.get(i), cluster.processes.get(i));
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private static void awaitHealthy(Member member, ManagedProcess process) {
        HttpProbe.await(member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(30), process, "etcd member " + member.name());
    }

    public List<Member> members() {
        return members;
    }

    /** {@code --initial-cluster}: every member's name and peer URL. */
    public String initialCluster() {
        return members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(","));
    }

    /** Client URLs of all members, comma-separated, as jetcd and etcdctl take them. */
    public String endpoints() {
        return members.stream().map(Member::clientUrl).collect(Collectors.joining(","));
    }

    @Override
    public void close() {
        processes.forEach(ManagedProcess::stop);
    }
}
