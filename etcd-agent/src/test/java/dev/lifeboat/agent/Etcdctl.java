package dev.lifeboat.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** etcdctl (v3 API) against one endpoint, for tests: puts, gets and snapshots through etcd's own client. */
final class Etcdctl {

    private Etcdctl() {
    }

    static String run(String endpoint, String... args) {
        // The etcdctl of the release under test (the agent's own setting), the PATH's otherwise.
        String etcdctl = org.eclipse.microprofile.config.ConfigProvider.getConfig().getOptionalValue("lifeboat.agent.etcdctl", String.class)
                .orElse("etcdctl");
        List<String> command = new ArrayList<>(List.of(etcdctl, "--endpoints", endpoint));
        command.addAll(List.of(args));
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("ETCDCTL_API", "3");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("etcdctl " + String.join(" ", args) + " failed: " + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run etcdctl: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** The value of {@code key}, or null when it does not exist. */
    static String get(String endpoint, String key) {
        String output = run(endpoint, "get", key, "--print-value-only").strip();
        return output.isEmpty() ? null : output;
    }
}
