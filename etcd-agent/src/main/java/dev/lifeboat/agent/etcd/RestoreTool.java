package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.lifeboat.agent.AgentConfig;
import dev.lifeboat.events.ClusterSpec;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * etcd's own restore: {@code etcdutl snapshot restore} where etcd 3.5+ is installed, else
 * {@code etcdctl snapshot restore} (3.4, Debian's package). It writes a fresh data dir holding the
 * snapshot's keyspace, the given member list and a new cluster token. {@code --bump-revision} and
 * {@code --mark-compacted} are passed where the tool has them (etcdutl 3.5.? and later), so Kubernetes
 * watch caches re-list; where it does not, the outcome says so.
 */
@ApplicationScoped
public class RestoreTool {

    private static final long TIMEOUT_MINUTES = 60;

    private final AgentConfig config;
    private volatile Tool tool;

    public RestoreTool(AgentConfig config) {
        this.config = config;
    }

    /** The tool found, and whether it can bump the revision. */
    public record Tool(List<String> command, boolean bumps, String name) {
    }

    /** What the restore did about the revision, for the member's answer. */
    public record Outcome(boolean revisionBumped, String note) {
    }

    public Tool tool() {
        if (tool == null) {
            tool = detect();
        }
        return tool;
    }

    private Tool detect() {
        String help = help(List.of(config.etcdutl(), "snapshot", "restore", "--help"));
        if (help != null) {
            return new Tool(List.of(config.etcdutl()), help.contains("--bump-revision"), "etcdutl");
        }
        help = help(List.of(config.etcdctl(), "snapshot", "restore", "--help"));
        return new Tool(List.of(config.etcdctl()), help != null && help.contains("--bump-revision"), "etcdctl");
    }

    private static String help(List<String> command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("ETCDCTL_API", "3");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            process.waitFor(10, TimeUnit.SECONDS);
            return output.contains("snapshot restore") || output.contains("--data-dir") ? output : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Restores {@code snapshot} into {@code target}, which must not exist. Fails with the tool's own
     * words (its last lines of output) when it exits non-zero.
     */
    public Outcome restore(Path snapshot, Path target, List<ClusterSpec.Member> members, String token, long bumpRevision) {
        return restore(snapshot, target, config.memberName(), members, token, bumpRevision);
    }

    /** Restores {@code snapshot} into {@code target} as a cluster of one member, for a scratch etcd. */
    public void restoreAlone(Path snapshot, Path target, String name, String peerUrl, String token) {
        restore(snapshot, target, name, List.of(new ClusterSpec.Member(name, peerUrl, null)), token, 0);
    }

    private Outcome restore(Path snapshot, Path target, String name, List<ClusterSpec.Member> members, String token, long bumpRevision) {
        Tool found = tool();
        ClusterSpec.Member self = members.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new EtcdProcessException("member '" + name + "' is not in the restore's member list "
                        + members.stream().map(ClusterSpec.Member::name).toList()));
        if (self.peerUrl() == null || self.peerUrl().isBlank()) {
            throw new EtcdProcessException("the restore's member list has no peer URL for member '" + name + "'");
        }
        List<String> command = new ArrayList<>(found.command());
        command.addAll(List.of("snapshot", "restore", snapshot.toString(),
                "--name", name,
                "--data-dir", target.toString(),
                "--initial-cluster", members.stream().map(m -> m.name() + "=" + m.peerUrl()).collect(Collectors.joining(",")),
                "--initial-cluster-token", token,
                "--initial-advertise-peer-urls", self.peerUrl()));
        boolean bump = bumpRevision > 0 && found.bumps();
        if (bump) {
            command.addAll(List.of("--bump-revision", Long.toString(bumpRevision), "--mark-compacted"));
        }
        Path log = target.resolveSibling(target.getFileName() + ".log");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("ETCDCTL_API", "3");
            Process process = builder.start();
            if (!process.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new EtcdProcessException(found.name() + " snapshot restore did not finish within " + TIMEOUT_MINUTES + " min");
            }
            if (process.exitValue() != 0) {
                throw new EtcdProcessException(found.name() + " snapshot restore failed with exit code " + process.exitValue() + ": " + tail(log));
            }
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot run " + found.name() + " snapshot restore: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EtcdProcessException("interrupted while " + found.name() + " restored the snapshot");
        }
        Log.infof("%s restored the snapshot into %s%s", found.name(), target, bump ? " with the revision bumped by " + bumpRevision : "");
        if (bump) {
            return new Outcome(true, "revision bumped by " + bumpRevision + " and marked compacted; watchers re-list");
        }
        if (bumpRevision <= 0) {
            return new Outcome(false, "revision not bumped (not asked)");
        }
        return new Outcome(false, "the installed " + found.name() + " has no --bump-revision/--mark-compacted (etcd 3.4); the revision was "
                + "not bumped, so Kubernetes watch caches may serve stale objects until the API servers restart");
    }

    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())).strip();
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
