package dev.lifeboat.restore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.lifeboat.stack.EtcdAgents;
import dev.lifeboat.stack.EtcdCluster;
import dev.lifeboat.stack.EtcdRelease;
import dev.lifeboat.stack.EtcdTls;
import dev.lifeboat.stack.KubeletStandIn;
import dev.lifeboat.stack.LocalStack;
import dev.lifeboat.stack.Ports;

/**
 * The restore stack plus etcd clusters run by etcd-agents (built jars, one per member), for REPLACE:
 * cluster {@code solo} (one member), cluster {@code trio} (three members), {@code pitr} (one member,
 * for point-in-time restores with delta capture), and {@code heal} (one member whose agent heals it by itself:
 * {@code lifeboat.agent.self-heal}, retry after 5 s), of the stack's etcd release and TLS mode. The restore tool of
 * {@code solo-0} and of every {@code trio} member is a wrapper around the release's (etcdutl on 3.5, etcdctl on 3.4)
 * that injects faults while a flag file in {@code test.agents.dir} exists: {@code fail-<member>} — the member's restore
 * fails before writing anything; {@code slow-<member>} — it touches {@code restoring-<member>} and waits 60 s first
 * (time to kill its agent); {@code break-trio-2} — trio-2's restore writes a data dir etcd cannot start on (a member
 * whose restore fails after its data dir was swapped). trio-1's data dir lives on a small filesystem of its own
 * ({@code test.small-fs}, a 1 GB tmpfs) that a test can fill, so its agent meets a full disk. 1 GB, not less: every data
 * dir etcd runs on holds 128 MB of preallocated WAL files, and the agent keeps the data dirs earlier restores replaced.
 *
 * <p>Cluster {@code kube} (one member) is a kubeadm control plane in miniature: a {@link KubeletStandIn} runs etcd from
 * the static pod manifest {@code etcd.yaml} and a stand-in API server from {@code kube-apiserver.yaml} in
 * {@code test.kube.manifests}; its agent runs with {@code lifeboat.agent.runtime=static-pod}.
 */
public class ReplaceStackResource extends RestoreStackResource {

    /** Clusters run by agents; {@code test.etcd.<cluster>} in the test's config holds their members' client URLs. */
    public static final List<String> CLUSTERS = List.of("solo", "trio", "pitr", "heal", "kube");
    public static final String BREAK_TRIO_2 = "test.break-trio-2";
    public static final String FAIL_SOLO_0 = "test.fail-solo-0";
    /** The small filesystem trio-1's data dir is on, or {@code unavailable: <why>}. */
    public static final String SMALL_FS = "test.small-fs";

    private static final Map<String, EtcdAgents> AGENTS = new java.util.concurrent.ConcurrentHashMap<>();
    private static Path smallFs;
    private static KubeletStandIn kubelet;

    /** The kubelet stand-in of cluster {@code kube}. */
    public static KubeletStandIn kubelet() {
        return kubelet;
    }

    /** The agents of one of {@link #CLUSTERS}, for tests that kill and restart one. */
    public static EtcdAgents agents(String cluster) {
        return AGENTS.get(cluster);
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(super.start());
        LocalStack stack = stack();
        Path root = stack.options().runDir().resolve("agents");
        Path breakFlag = root.resolve("break-trio-2");
        Path failFlag = root.resolve("fail-solo-0");
        Path repo = Path.of("..").toAbsolutePath().normalize();
        String small = mountSmallFs(root.resolve("small"));
        for (String cluster : CLUSTERS) {
            int size = cluster.equals("trio") ? 3 : 1;
            List<EtcdCluster.Member> members = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                String name = cluster + "-" + i;
                Path dataDir = name.equals("trio-1") && smallFs != null ? smallFs.resolve(name) : root.resolve(name);
                members.add(new EtcdCluster.Member(name, Ports.free(), Ports.free(), dataDir, stack.options().etcdTls()));
            }
            EtcdRelease release = stack.options().etcdRelease();
            Path manifests = root.resolve("kube-manifests");
            if (cluster.equals("kube")) {
                EtcdCluster.Member member = members.get(0);
                writeManifests(manifests, member, release, member.tls() ? stack.options().etcdTlsFiles() : null);
                kubelet = KubeletStandIn.start(manifests, root.resolve("kubelet-logs"));
                config.put("test.kube.manifests", manifests.toString());
            }
            AGENTS.put(cluster, EtcdAgents.start(repo, cluster, EtcdCluster.planned(members), stack, config.get("test.snapshot.url"),
                    i -> Ports.free(), member -> {
                        Map<String, String> agent = new HashMap<>(Map.of("lifeboat.agent.health-timeout", "20s"));
                        if (member.name().equals("kube-0")) {
                            agent.putAll(Map.of("lifeboat.agent.runtime", "static-pod", "lifeboat.agent.static-pod.manifests-dir",
                                    manifests.toString(), "lifeboat.agent.static-pod.stop-timeout", "60s"));
                        }
                        if (member.name().equals("heal-0")) {
                            agent.putAll(Map.of("lifeboat.agent.self-heal", "true", "lifeboat.agent.self-heal-retry", "5s"));
                        }
                        if (member.name().startsWith("trio-") || member.name().equals("solo-0")) {
                            agent.putAll(EtcdAgents.restoreToolConfig(release, writeRestoreToolWrapper(root, member.name(), release, breakFlag)));
                        }
                        return agent;
                    }));
            config.put("test.etcd." + cluster, members.stream().map(EtcdCluster.Member::clientUrl).collect(Collectors.joining(",")));
            config.put("test.members." + cluster, members.stream().map(m -> m.name() + "=" + m.peerUrl() + "=" + m.clientUrl())
                    .collect(Collectors.joining(",")));
        }
        config.put(BREAK_TRIO_2, breakFlag.toString());
        config.put(FAIL_SOLO_0, failFlag.toString());
        config.put(SMALL_FS, small);
        config.put("test.agents.dir", root.toString());
        return config;
    }

    /** Mounts a 1 GB tmpfs at {@code dir} (this needs root, as {@code make test}'s set-up does); returns it, or why not. */
    private static String mountSmallFs(Path dir) {
        try {
            Files.createDirectories(dir);
            Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1g", "tmpfs", dir.toString()).redirectErrorStream(true).start();
            String output = new String(mount.getInputStream().readAllBytes()).strip();
            if (mount.waitFor() != 0) {
                return "unavailable: mount -t tmpfs " + dir + " failed: " + output;
            }
            smallFs = dir;
            return dir.toString();
        } catch (IOException e) {
            return "unavailable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unavailable: interrupted";
        }
    }

    /**
     * kubeadm's two manifests: etcd with the member's flags (as {@code --flag=value}, kubeadm's form) and a stand-in API
     * server, a process that only lives, so a test can see when the kubelet stops and starts it.
     */
    private static void writeManifests(Path manifests, EtcdCluster.Member member, EtcdRelease release, EtcdTls tls) {
        List<String> etcd = new ArrayList<>(List.of(release.etcd().toString(), "--name=" + member.name(),
                "--data-dir=" + member.dataDir(), "--listen-client-urls=" + member.clientUrl(), "--advertise-client-urls=" + member.clientUrl(),
                "--listen-peer-urls=" + member.peerUrl(), "--initial-advertise-peer-urls=" + member.peerUrl(),
                "--initial-cluster=" + member.name() + "=" + member.peerUrl(), "--initial-cluster-token=kube-initial",
                "--initial-cluster-state=new", "--quota-backend-bytes=" + (8L << 30)));
        if (tls != null) {
            List<String> flags = tls.memberFlags();
            for (int i = 0; i < flags.size(); i++) {
                boolean valued = i + 1 < flags.size() && !flags.get(i + 1).startsWith("--");
                etcd.add(valued ? flags.get(i) + "=" + flags.get(++i) : flags.get(i));
            }
        }
        try {
            Files.createDirectories(manifests);
            Files.writeString(manifests.resolve("etcd.yaml"), KubeletStandIn.manifest("etcd", etcd));
            Files.writeString(manifests.resolve("kube-apiserver.yaml"), KubeletStandIn.manifest("kube-apiserver", List.of("sleep", "86400")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void stop() {
        AGENTS.values().forEach(EtcdAgents::close);
        AGENTS.clear();
        if (kubelet != null) {
            kubelet.close();
            kubelet = null;
        }
        if (smallFs != null) {
            try {
                // etcd of trio-1 may still be closing its files there: try again, then detach it (umount -l) so the
                // directory can be removed
                for (int attempt = 0; attempt < 5; attempt++) {
                    if (new ProcessBuilder("umount", smallFs.toString()).inheritIO().start().waitFor() == 0) {
                        break;
                    }
                    Thread.sleep(1000);
                    if (attempt == 4) {
                        new ProcessBuilder("umount", "-l", smallFs.toString()).inheritIO().start().waitFor();
                    }
                }
            } catch (IOException e) {
                System.err.println("cannot unmount " + smallFs + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            smallFs = null;
        }
        super.stop();
    }

    /** The release's restore tool for one member, with the faults of the class comment injected while their flag files exist. */
    private static Path writeRestoreToolWrapper(Path root, String member, EtcdRelease release, Path breakFlag) {
        Path script = root.resolve("restore-tool-" + member + ".sh");
        try {
            Files.createDirectories(root);
            Files.writeString(script, """
                    #!/bin/sh
                    # %4$s for member %3$s, with faults injected into a snapshot restore while a flag file exists:
                    # %1$s/fail-%3$s: the restore fails before writing anything; %1$s/slow-%3$s: it waits 60 s first;
                    # %2$s (trio-2 only): it "succeeds" with a data dir etcd cannot start on.
                    member='%3$s'
                    if [ "$1" = snapshot ] && [ "$2" = restore ] && [ "$3" != --help ]; then
                      if [ -f '%1$s/fail-%3$s' ]; then
                        if [ "$member" = solo-0 ]; then
                          echo 'Error: write /data/member/snap/db: no space left on device' >&2
                        else
                          echo 'Error: restore tool failure injected by the test' >&2
                        fi
                        exit 1
                      fi
                      if [ -f '%1$s/slow-%3$s' ]; then
                        touch '%1$s/restoring-%3$s'
                        sleep 60
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
                    """.formatted(root, breakFlag, member, release.restoreTool()));
            script.toFile().setExecutable(true);
            return script;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
