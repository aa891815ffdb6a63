package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import dev.lifeboat.stack.HttpProbe;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;
import dev.lifeboat.stack.QuarkusService;

/**
 * The restore stack plus etcd clusters run by etcd-agents (built jars, one per member), for REPLACE:
 * cluster {@code solo} (one member) and cluster {@code trio} (three members). Member {@code trio-2}'s
 * restore tool is a wrapper around etcdctl that, while the file {@link #BREAK_TRIO_2} names exists,
 * writes a data dir etcd cannot start on: a member whose restore fails after its data dir was swapped.
 */
public class ReplaceStackResource extends RestoreStackResource {

    /** Cluster name → its members' client URLs, comma-separated: {@code test.etcd.<cluster>} in the test's config. */
    public static final List<String> CLUSTERS = List.of("solo", "trio");
    public static final String BREAK_TRIO_2 = "test.break-trio-2";

    private static final List<QuarkusService> AGENTS = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        LocalStack stack = stack();
        Path root = stack.options().runDir().resolve("agents");
        Path flag = root.resolve("break-trio-2");
        Path brokenEtcdctl = writeBrokenEtcdctl(root.resolve("broken-etcdctl.sh"), flag);
        List<CompletableFuture<QuarkusService>> starting = new ArrayList<>();
        List<String> healthUrls = new ArrayList<>();
        for (String cluster : CLUSTERS) {
            int size = cluster.equals("solo") ? 1 : 3;
            List<String[]> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                members.add(new String[] {cluster + "-" + i, "http://127.0.0.1:" + Ports.free(), "http://127.0.0.1:" + Ports.free()});
            }
            String initialCluster = members.stream().map(m -> m[0] + "=" + m[1]).collect(Collectors.joining(","));
            for (String[] member : members) {
                Map<String, String> agent = new HashMap<>();
                agent.put("quarkus.devservices.enabled", "false");
                agent.put("kafka.bootstrap.servers", stack.kafka().bootstrapServers());
                agent.put("quarkus.otel.traces.exporter", "none");
                agent.put("lifeboat.agent.cluster-id", cluster);
                agent.put("lifeboat.agent.member-name", member[0]);
                agent.put("lifeboat.agent.etcd.data-dir", root.resolve(member[0]).toString());
                agent.put("lifeboat.agent.etcd.peer-url", member[1]);
                agent.put("lifeboat.agent.etcd.client-url", member[2]);
                agent.put("lifeboat.agent.etcd.initial-cluster", initialCluster);
                agent.put("lifeboat.agent.etcd.initial-cluster-token", cluster + "-initial");
                agent.put("lifeboat.agent.snapshot-service-url", config.get("test.snapshot.url"));
                agent.put("lifeboat.agent.health-timeout", "20s");
                if (member[0].equals("trio-2")) {
                    agent.put("lifeboat.agent.etcdctl", brokenEtcdctl.toString());
                    agent.put("lifeboat.agent.etcdutl", brokenEtcdctl + "-absent");
                }
                Path repo = Path.of("..").toAbsolutePath().normalize();
                starting.add(CompletableFuture.supplyAsync(() -> QuarkusService.start(repo, "etcd-agent", "agent-" + member[0], Ports.free(), agent,
                        stack.options().runDir()).awaitReady(Duration.ofSeconds(120))));
                healthUrls.add(member[2]);
            }
            config.put("test.etcd." + cluster, members.stream().map(m -> m[2]).collect(Collectors.joining(",")));
            config.put("test.members." + cluster, members.stream().map(m -> m[0] + "=" + m[1] + "=" + m[2]).collect(Collectors.joining(",")));
        }
        starting.forEach(agent -> AGENTS.add(agent.join()));
        for (String url : healthUrls) {
            HttpProbe.await(url + "/health", "\"true\"", Duration.ofSeconds(60), null, "etcd at " + url);
        }
        config.put(BREAK_TRIO_2, flag.toString());
        config.put("test.agents.dir", root.toString());
        return config;
    }

    @Override
    public void stop() {
        AGENTS.forEach(QuarkusService::close);
        AGENTS.clear();
        super.stop();
    }

    private static Path writeBrokenEtcdctl(Path script, Path flag) {
        try {
            Files.createDirectories(script.getParent());
            Files.writeString(script, """
                    #!/bin/sh
                    # etcdctl, except that while %s exists a snapshot restore "succeeds" with a data dir etcd cannot start on.
                    if [ -f '%s' ] && [ "$1" = snapshot ] && [ "$2" = restore ] && [ "$3" != --help ]; then
                      prev=''
                      for arg in "$@"; do
                        if [ "$prev" = --data-dir ]; then dir="$arg"; fi
                        prev="$arg"
                      done
                      mkdir -p "$dir/member/wal" "$dir/member/snap"
                      echo 'not a write-ahead log' > "$dir/member/wal/0000000000000000-0000000000000000.wal"
                      exit 0
                    fi
                    exec etcdctl "$@"
                    """.formatted(flag, flag));
            script.toFile().setExecutable(true);
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
