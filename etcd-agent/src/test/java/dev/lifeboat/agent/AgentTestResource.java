package dev.lifeboat.agent;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.lifeboat.events.testing.LocalStackResource;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.Ports;

/**
 * The local stack (Kafka for commands and answers) plus an etcd member of the agent's own, on free
 * ports, with its data dir under {@code target/}, of the etcd release the {@code etcd-version} init argument names.
 * The agent under test starts and supervises it.
 */
public class AgentTestResource extends LocalStackResource {

    public static final String CLUSTER = "agent-test";
    public static final String MEMBER = "m0";

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        EtcdRelease release = stack().options().etcdRelease();
        // One data dir per release: the 3.4 and 3.5 classes run in one JVM, and each expects a member of its own.
        Path root = Path.of("target", "agent-test-" + ProcessHandle.current().pid() + "-" + release.version()).toAbsolutePath();
        int client = Ports.free();
        int peer = Ports.free();
        config.put("lifeboat.agent.cluster-id", CLUSTER);
        config.put("lifeboat.agent.member-name", MEMBER);
        config.put("lifeboat.agent.etcd.data-dir", root.resolve(MEMBER).toString());
        config.put("lifeboat.agent.etcd.client-url", "http://127.0.0.1:" + client);
        config.put("lifeboat.agent.etcd.peer-url", "http://127.0.0.1:" + peer);
        config.put("lifeboat.agent.restart-backoff", "200ms");
        config.put("lifeboat.agent.etcd.binary", release.etcd().toString());
        config.put("lifeboat.agent.etcdctl", release.etcdctl().toString());
        config.put("lifeboat.agent.etcdutl", release.etcdutl().map(Path::toString).orElse("none"));
        return config;
    }
}
