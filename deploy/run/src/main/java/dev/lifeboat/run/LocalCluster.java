package dev.lifeboat.run;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.cli.Api;
import dev.lifeboat.cli.CliException;

/**
 * What {@code make run} sets up once the services answer: the etcd it runs (or the user's) registered as a
 * cluster, a default policy on a fresh registration (full snapshots {@code @every 5m}, keepLast 10, zstd —
 * the service's default compression), and a first backup taken at once, waited for. Through the services'
 * REST APIs, with the CLI's client.
 */
final class LocalCluster {

    /** The default policy of a freshly registered cluster. */
    static final Map<String, Object> DEFAULT_POLICY = Map.of("id", "default", "schedule", "@every 5m", "kind", "FULL",
            "retention", Map.of("keepLast", 10));

    private final Api scheduler;
    private final Api snapshots;

    LocalCluster(String schedulerUrl, String snapshotUrl, String token) {
        this.scheduler = new Api("scheduler-service", schedulerUrl, () -> token);
        this.snapshots = new Api("snapshot-service", snapshotUrl, () -> token);
    }

    /** A member of the local etcd, for REPLACE restores through its agent. */
    record Member(String name, String peerUrl, String clientUrl) {
    }

    /**
     * Registers the cluster, unless a previous run did (then it is kept as it is, policies too). Returns a line
     * saying which.
     */
    String register(String id, List<String> endpoints, List<Member> members, Map<String, String> tls, Map<String, String> auth) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("endpoints", endpoints);
        List<Map<String, String>> list = new ArrayList<>();
        members.forEach(m -> list.add(Map.of("name", m.name(), "peerUrl", m.peerUrl(), "clientUrl", m.clientUrl())));
        body.put("members", list);
        if (!tls.isEmpty()) {
            body.put("tls", tls);
        }
        if (!auth.isEmpty()) {
            body.put("auth", auth);
        }
        try {
            scheduler.post("/api/v1/clusters", body);
        } catch (CliException e) {
            if (e.exitCode() == CliException.REFUSED && e.getMessage().contains("exists")) {
                return "cluster " + id + " is registered from an earlier run; its policies are kept";
            }
            throw e;
        }
        scheduler.post("/api/v1/clusters/" + id + "/policies", DEFAULT_POLICY);
        return "cluster " + id + " registered (" + String.join(", ", endpoints) + ") with policy 'default': a full snapshot @every 5m, keepLast 10, zstd";
    }

    /** Takes a backup now and waits for it; returns a line saying how it went. */
    String firstBackup(String id, Duration wait) {
        String requestId = scheduler.post("/api/v1/clusters/" + id + "/backups", Map.of("reason", "make run: the first backup"))
                .path("requestId").asText();
        Instant deadline = Instant.now().plus(wait);
        while (Instant.now().isBefore(deadline)) {
            for (JsonNode entry : snapshots.get("/api/v1/snapshots", Map.of("cluster", id, "kind", "FULL", "limit", 20))) {
                if (!requestId.equals(entry.path("requestId").asText())) {
                    continue;
                }
                if (entry.path("phase").asText().equals("COMPLETED")) {
                    return "first backup: snapshot " + entry.path("id").asText() + " at revision " + entry.path("revision").asLong() + ", "
                            + entry.path("rawSize").asLong() + " bytes, s3://" + entry.path("bucket").asText() + "/" + entry.path("objectKey").asText();
                }
                if (entry.path("phase").asText().equals("FAILED")) {
                    return "first backup FAILED: " + entry.path("reason").asText();
                }
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return "first backup " + requestId + " is still running (./lifeboat snapshots list --cluster " + id + ")";
    }
}
