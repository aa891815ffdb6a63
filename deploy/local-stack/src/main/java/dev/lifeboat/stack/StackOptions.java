package dev.lifeboat.stack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What to start and where. {@link #forTests} picks free ports and a fresh directory;
 * {@link #forRun} uses the fixed, documented ports of {@code make run}.
 *
 * @param dataDir    every piece keeps its data below this directory
 * @param fixedPorts true: the documented ports (a taken port is an error); false: free ports
 * @param etcdMembers 1 or 3 etcd members; 0 for none (make run with an etcd of the user's)
 * @param topics     Kafka topics to create, with their partition counts
 * @param postgres   an external PostgreSQL to use instead of the embedded one
 * @param etcdByAgents true: the stack only plans the etcd members (ports, data dirs); etcd-agents
 *                   run them ({@link EtcdAgents}), as {@code make run} does
 * @param etcdRelease which etcd runs: 3.5 (default, what Kubernetes runs) or Debian 12's 3.4
 * @param etcdTls    true: etcd talks only https, to clients with a certificate, and TLS between peers ({@link EtcdTls})
 */
public record StackOptions(Path dataDir, boolean fixedPorts, int etcdMembers, Map<String, Integer> topics,
        Optional<ExternalPostgres> postgres, boolean etcdByAgents, EtcdRelease etcdRelease, boolean etcdTls) {

    public static final int ETCD_CLIENT_PORT = 2379;
    public static final int ETCD_PEER_PORT = 2380;
    public static final int KAFKA_PORT = 9092;
    public static final int KAFKA_CONTROLLER_PORT = 9093;
    public static final int S3_PORT = 9000;
    public static final int POSTGRES_PORT = 5433;

    /** Bucket created at start; services default to it in dev and test. */
    public static final String BUCKET = "lifeboat";

    /**
     * Connection facts of an external PostgreSQL, from {@code LIFEBOAT_PG_URL}
     * ({@code jdbc:postgresql://host:port/db}), {@code LIFEBOAT_PG_USER} and {@code LIFEBOAT_PG_PASSWORD}.
     */
    public record ExternalPostgres(String jdbcUrl, String user, String password) {

        @Override
        public String toString() {
            return "ExternalPostgres[" + jdbcUrl + ", user=" + user + "]";
        }
    }

    public StackOptions {
        if (etcdMembers != 0 && etcdMembers != 1 && etcdMembers != 3) {
            throw new StackException("etcd members must be 1 or 3 (or 0: no local etcd), not " + etcdMembers);
        }
        topics = Map.copyOf(new LinkedHashMap<>(topics));
    }

    public static StackOptions forTests(Path dataDir, Map<String, Integer> topics) {
        return new StackOptions(dataDir, false, 1, topics, externalPostgresFromEnvironment(), false, EtcdRelease.DEFAULT, false);
    }

    /** {@code make run}: the documented ports, etcd run by etcd-agents. */
    public static StackOptions forRun(Path dataDir, int etcdMembers, Map<String, Integer> topics) {
        return new StackOptions(dataDir, true, etcdMembers, topics, externalPostgresFromEnvironment(), true, EtcdRelease.DEFAULT, false);
    }

    public StackOptions withEtcdMembers(int members) {
        return new StackOptions(dataDir, fixedPorts, members, topics, postgres, etcdByAgents, etcdRelease, etcdTls);
    }

    /** The same stack with etcd started directly (true) or left to etcd-agents (false). */
    public StackOptions withEtcdByAgents(boolean byAgents) {
        return new StackOptions(dataDir, fixedPorts, etcdMembers, topics, postgres, byAgents, etcdRelease, etcdTls);
    }

    /** The same stack with another etcd release, with or without TLS. */
    public StackOptions withEtcd(EtcdRelease release, boolean tls) {
        return new StackOptions(dataDir, fixedPorts, etcdMembers, topics, postgres, etcdByAgents, release, tls);
    }

    /** etcd's TLS material, in the stack's secrets (which clusters' references may name); made on first use. */
    public EtcdTls etcdTlsFiles() {
        return EtcdTls.in(dataDir.resolve("secrets").resolve("etcd-tls"));
    }

    static Optional<ExternalPostgres> externalPostgresFromEnvironment() {
        String url = System.getenv("LIFEBOAT_PG_URL");
        if (url == null || url.isBlank()) {
            return Optional.empty();
        }
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new StackException("LIFEBOAT_PG_URL must look like jdbc:postgresql://host:port/database, not " + url.split("\\?")[0]);
        }
        return Optional.of(new ExternalPostgres(url,
                System.getenv().getOrDefault("LIFEBOAT_PG_USER", "postgres"),
                System.getenv().getOrDefault("LIFEBOAT_PG_PASSWORD", "")));
    }

    /** Where pid files and server logs go. */
    public Path runDir() {
        return dataDir.resolve("run");
    }

    /** The documented port when fixed (checked free), else a free one. */
    int port(int documented, String owner) {
        if (!fixedPorts) {
            return Ports.free();
        }
        Ports.requireFree(documented, owner);
        return documented;
    }
}
