package dev.lifeboat.restore.saga;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.restore.RestoreServiceConfig;
import dev.lifeboat.restore.etcd.RestoreException;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The operator's pause and resume hooks: stop what writes to the cluster before a restore (for
 * example scale kube-apiserver to zero) and start it again afterwards. Each hook has a timeout; a
 * hook that fails or overruns fails the restore. Messages name a webhook by scheme, host and path
 * only, so a token in its query or user part never reaches a log or an event.
 */
@ApplicationScoped
public class Hooks {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public void run(String hook, RestoreServiceConfig.Hooks hooks, String restoreId, String clusterId) {
        hooks.url().ifPresent(url -> webhook(hook, url, hooks.timeout(), restoreId, clusterId));
        hooks.command().ifPresent(command -> command(hook, command, hooks.timeout(), restoreId, clusterId));
    }

    private void webhook(String hook, String url, Duration timeout, String restoreId, String clusterId) {
        String shown = shown(url);
        try {
            String body = EventCodec.json().writeValueAsString(Map.of("restoreId", restoreId, "clusterId", clusterId, "hook", hook));
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(timeout)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            if (response.statusCode() / 100 != 2) {
                throw new RestoreException("the " + hook + " webhook " + shown + " answered " + response.statusCode());
            }
            Log.infof("restore %s: %s webhook %s done", restoreId, hook, shown);
        } catch (HttpTimeoutException e) {
            throw new RestoreException("the " + hook + " webhook " + shown + " did not answer within " + timeout.toSeconds() + " s");
        } catch (IOException | IllegalArgumentException e) {
            throw new RestoreException("the " + hook + " webhook " + shown + " cannot be reached: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("interrupted while the " + hook + " webhook ran");
        }
    }

    private void command(String hook, List<String> command, Duration timeout, String restoreId, String clusterId) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(Map.of("LIFEBOAT_RESTORE_ID", restoreId, "LIFEBOAT_CLUSTER_ID", clusterId, "LIFEBOAT_HOOK", hook));
        try {
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new RestoreException("the " + hook + " command " + command.get(0) + " did not finish within " + timeout.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                throw new RestoreException("the " + hook + " command " + command.get(0) + " exited with " + process.exitValue());
            }
            Log.infof("restore %s: %s command %s done", restoreId, hook, command.get(0));
        } catch (IOException e) {
            throw new RestoreException("the " + hook + " command " + command.get(0) + " cannot be started: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RestoreException("interrupted while the " + hook + " command ran");
        }
    }

    /** scheme://host:port/path — without user info and query, which may hold a token. */
    static String shown(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "") + (uri.getPath() == null ? "" : uri.getPath());
        } catch (IllegalArgumentException e) {
            return "(unparsable URL)";
        }
    }
}
