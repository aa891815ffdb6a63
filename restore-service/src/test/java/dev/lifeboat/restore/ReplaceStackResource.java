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
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;

/**
 * The restore stack plus etcd clusters run by etcd-agents (built jars, one per member), for REPLACE:
 * cluster {@code solo} (one member), cluster {@code trio} (three members), and {@code pitr} (one member,
 * for point-in-time restores with delta capture), of the stack's etcd release and TLS mode. The restore tool of
 * members {@code solo-0} and {@code trio-2} is a wrapper around the release's (etcdutl on 3.5, etcdctl on 3.4): while the file {@link #FAIL_SOLO_0} names exists, solo-0's
 * restore fails before writing anything (a member whose data is never touched); while the file
 * {@link #BREAK_TRIO_2} names exists, trio-2's restore writes a data dir etcd cannot start on (a member
 * whose restore fails after its data dir was swapped).
 */
public class ReplaceStackResource extends RestoreStackResource {

    /** Clusters run by agents; {@code test.etcd.<cluster>} in the test's config holds their members' client URLs. */
    public static final List<String> CLUSTERS = List.of("solo", "trio", "pitr");
    public static final String BREAK_TRIO_2 = "test.break-trio-2";
    public static final String FAIL_SOLO_0 = "test.fail-solo-0";

    private static final List<EtcdAgents> AGENTS = new CopyOnWriteArrayList<>();

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        LocalStack stack = stack();
        Path root = stack.options().runDir().resolve("agents");
        Path breakFlag = root.resolve("break-trio-2");
        Path failFlag = root.resolve("fail-solo-0");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        for (String cluster : CLUSTERS) {
            int size = cluster.equals("trio") ? 3 : 1;
            List<EtcdCluster.Member> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                members.add(new EtcdCluster.Member(cluster + "-" + i, Ports.free(), Ports.free(), root.resolve(cluster + "-" + i),
                        stack.options().etcdTls()));
            }
            EtcdRelease release = stack.options().etcdRelease();
            AGENTS.add(EtcdAgents.start(repo, cluster, EtcdCluster.planned(members), stack, config.get("test.snapshot.url"),
                    i -> Ports.free(), member -> {
                        Map<String, String> agent = new HashMap<>(Map.of("lifeboat.agent.health-timeout", "20s"));
                        if (member.name().equals("trio-2") || member.name().equals("solo-0")) {
                            agent.putAll(EtcdAgents.restoreToolConfig(release, writeRestoreToolWrapper(root, member.name(), release, failFlag,
                                    breakFlag)));
                        }
                        return agent;
                    }));
            config.put("test.etcd." + cluster, members.stream().map(EtcdCluster.Member::clientUrl).collect(Collectors.joining(",")));
            config.put("test.members." + cluster, members.stream().map(m -> m.name() + "=" + m.peerUrl() + "=" + m.clientUrl())
                    .collect(Collectors.joining(",")));
        }
        config.put(BREAK_TRIO_2, breakFlag.toString());
        config.put(FAIL_SOLO_0, failFlag.toString());
        config.put("test.agents.dir", root.toString());
        return config;
    }

    @Override
    public void stop() {
        AGENTS.forEach(EtcdAgents::close);
        AGENTS.clear();
        super.stop();
    }

    /** The release's restore tool for one member, except for a snapshot restore while a flag file exists (see the class comment). */
    private static Path writeRestoreToolWrapper(Path root, String member, EtcdRelease release, Path failFlag, Path breakFlag) {
        Path script = root.resolve("restore-tool-" + member + ".sh");
        try {
            Files.createDirectories(root);
            Files.writeString(script, """
                    #!/bin/sh
                    # %4$s for member %3$s, except for a snapshot restore: while %1$s exists, solo-0's fails before
                    # writing anything; while %2$s exists, trio-2's "succeeds" with a data dir etcd cannot start on.
                    member='%3$s'
                    if [ "$1" = snapshot ] && [ "$2" = restore ] && [ "$3" != --help ]; then
                      if [ "$member" = solo-0 ] && [ -f '%1$s' ]; then
                        echo 'Error: write /data/member/snap/db: no space left on device' >&2
                        exit 1
                      fi
                      if [ "$member" = trio-2 ] && [ -f '%2$s' ]; then
                        prev=''
                        for arg in "$@"; do
                          if [ "$prev" = --data-dir ]; then dir="$arg"; fi
                          prev="$arg"
                        done
                        mkdir -p "$dir/member/wal" "$dir/member/snap"
                        echo 'not a write-ahead log' > "$dir/member/wal/0000000000000000-0000000000000000.wal"
                        exit 0
                      fi
                    fi
                    exec '%4$s' "$@"
                    """.formatted(failFlag, breakFlag, member, release.restoreTool()));
            script.toFile().setExecutable(true);
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
