package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;

/**
 * The restore stack plus etcd clusters run by etcd-agents (built jars, one per member), for REPLACE:
 * cluster {@code solo} (one member), cluster {@code trio} (three members), and {@code pitr} (one member,
 * for point-in-time restores with delta capture). Member {@code trio-2}'s
 * restore tool is a wrapper around etcdctl that, while the file {@link #BREAK_TRIO_2} names exists,
 * writes a data dir etcd cannot start on: a member whose restore fails after its data dir was swapped.
 */
public class ReplaceStackResource extends RestoreStackResource {

    /** Clusters run by agents; {@code test.etcd.<cluster>} in the test's config holds their members' client URLs. */
    public static final List<String> CLUSTERS = List.of("solo", "trio", "pitr");
    public static final String BREAK_TRIO_2 = "test.break-trio-2";

    private static final List<EtcdAgents> AGENTS = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        LocalStack stack = stack();
        Path root = stack.options().runDir().resolve("agents");
        Path flag = root.resolve("break-trio-2");
        Path brokenEtcdctl = writeBrokenEtcdctl(root.resolve("broken-etcdctl.sh"), flag);
        Path repo = Path.of("..").toAbsolutePath().normalize();
        for (String cluster : CLUSTERS) {
            int size = cluster.equals("trio") ? 3 : 1;
            List<EtcdCluster.Member> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                members.add(new EtcdCluster.Member(cluster + "-" + i, Ports.free(), Ports.free(), root.resolve(cluster + "-" + i)));
            }
            AGENTS.add(EtcdAgents.start(repo, cluster, EtcdCluster.planned(members), stack.kafka().bootstrapServers(), config.get("test.snapshot.url"),
                    stack.options().runDir(), i -> Ports.free(), member -> member.name().equals("trio-2")
                            ? Map.of("lifeboat.agent.health-timeout", "20s", "quarkus.otel.traces.exporter", "none",
                                    "lifeboat.agent.etcdctl", brokenEtcdctl.toString(), "lifeboat.agent.etcdutl", brokenEtcdctl + "-absent")
                            : Map.of("lifeboat.agent.health-timeout", "20s", "quarkus.otel.traces.exporter", "none")));
            config.put("test.etcd." + cluster, members.stream().map(EtcdCluster.Member::clientUrl).collect(Collectors.joining(",")));
            config.put("test.members." + cluster, members.stream().map(m -> m.name() + "=" + m.peerUrl() + "=" + m.clientUrl())
                    .collect(Collectors.joining(",")));
        }
        config.put(BREAK_TRIO_2, flag.toString());
        config.put("test.agents.dir", root.toString());
        return config;
    }

    @Override
    public void stop() {
        AGENTS.forEach(EtcdAgents::close);
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
