package dev.lifeboat.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One or three etcd members of the stack's release ({@link EtcdRelease}), each with its own data directory under
 * {@code <root>/etcd/<member>}; with {@link StackOptions#etcdTls()} they talk only https, to clients with a
 * certificate, and TLS between themselves.
 */
public final class EtcdCluster implements AutoCloseable {

    /** The ports of one member, and whether it talks https. */
    public record Member(String name, int clientPort, int peerPort, Path dataDir, boolean tls) {

        public Member(String name, int clientPort, int peerPort, Path dataDir) {
            this(name, clientPort, peerPort, dataDir, false);
        }

        public String clientUrl() {
            return (tls ? "https://" : "http://") + Ports.HOST + ":" + clientPort;
        }

        public String peerUrl() {
            return (tls ? "https://" : "http://") + Ports.HOST + ":" + peerPort;
        }
    }

    private final List<Member> members;
    private final List<ManagedProcess> processes = new ArrayList<>();
    private final EtcdRelease release;
    private final EtcdTls tls;

    private EtcdCluster(List<Member> members, EtcdRelease release, EtcdTls tls) {
        this.members = List.copyOf(members);
        this.release = release;
        this.tls = tls;
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
            members.add(new Member(name, clientPort, peerPort, options.dataDir().resolve("etcd").resolve(name), options.etcdTls()));
        }
        return new EtcdCluster(members, options.etcdRelease(), options.etcdTls() ? options.etcdTlsFiles() : null);
    }

    /** Members named and placed by the caller, not started: for etcd-agents to run them (with the stack's release and TLS). */
    public static EtcdCluster planned(List<Member> members) {
        return new EtcdCluster(members, EtcdRelease.DEFAULT, null);
    }

    public static EtcdCluster start(StackOptions options) {
        Path binary = options.etcdRelease().etcd();
        EtcdCluster cluster = planned(options);
        List<Member> members = cluster.members;
        try {
            String initialCluster = cluster.initialCluster();
            for (Member member : members) {
                List<String> command = new ArrayList<>(List.of(binary.toString(),
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
                        "--log-outputs", "stderr"));
                if (cluster.tls != null) {
                    command.addAll(cluster.tls.memberFlags());
                }
                cluster.processes.add(ManagedProcess.start(member.name(), command, options.dataDir().resolve("etcd"), options.runDir(), Map.of()));
            }
            for (int i = 0; i < members.size(); i++) {
                cluster.awaitHealthy(members.get(i), cluster.processes.get(i));
            }
            return cluster;
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void awaitHealthy(Member member, ManagedProcess process) {
        String owner = "etcd " + release.version() + " member " + member.name();
        if (tls != null) {
            HttpProbe.await(tls, member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(30), process, owner);
        } else {
            HttpProbe.await(member.clientUrl() + "/health", "\"true\"", Duration.ofSeconds(30), process, owner);
        }
    }

    public EtcdRelease release() {
        return release;
    }

    /** The TLS material the members use, or null when they talk plain http. */
    public EtcdTls tls() {
        return tls;
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
