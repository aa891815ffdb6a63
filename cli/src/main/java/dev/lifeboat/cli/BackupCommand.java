package dev.lifeboat.cli;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lifeboat backup now --cluster C [--wait]}: a one-time backup. */
@Command(name = "backup", description = "One-time backups.", mixinStandardHelpOptions = true)
final class BackupCommand extends Base {

    @Command(name = "now", description = "Take a full snapshot now; with --wait, follow it and exit 0 only when it completed.")
    int now(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster,
            @Option(names = "--reason", defaultValue = "lifeboat backup now") String reason,
            @Option(names = "--wait", description = "wait until the snapshot completed or failed") boolean wait,
            @Option(names = "--timeout", defaultValue = "30m", description = "how long --wait waits (default ${DEFAULT-VALUE})") String timeout) {
        JsonNode accepted = root().scheduler().post("/api/v1/clusters/" + cluster + "/backups", Map.of("reason", reason));
        String requestId = accepted.path("requestId").asText();
        Output output = output(format);
        if (!wait) {
            output.answer(accepted, "backup of " + cluster + " requested: " + requestId + " (lifeboat snapshots list --cluster " + cluster + " shows it)");
            return CliException.OK;
        }
        output.say("backup of " + cluster + " requested: " + requestId);
        Api snapshots = root().snapshots();
        JsonNode entry = Waiting.until(() -> answer(snapshots, find(snapshots, cluster, requestId)), view -> {
            String phase = view.path("phase").asText();
            return phase.equals("COMPLETED") || phase.equals("FAILED");
        }, BackupCommand::progress, Waiting.duration(timeout, "--timeout"), "backup " + requestId, output);
        if (output.json()) {
            output.print(entry);
        }
        if (entry.path("phase").asText().equals("FAILED")) {
            throw new CliException(CliException.FAILED, "backup " + requestId + " of " + cluster + " failed: " + entry.path("reason").asText());
        }
        output.say("snapshot " + entry.path("id").asText() + " completed: revision " + entry.path("revision").asLong() + ", "
                + Output.bytes(entry, "rawSize") + " (" + Output.bytes(entry, "storedSize") + " stored) at " + entry.path("objectKey").asText());
        return CliException.OK;
    }

    /** The catalog entry of a request, once snapshot-service has it. */
    private static JsonNode find(Api snapshots, String cluster, String requestId) {
        for (JsonNode entry : snapshots.get("/api/v1/snapshots", Map.of("cluster", cluster, "kind", "FULL", "limit", 50))) {
            if (requestId.equals(entry.path("requestId").asText())) {
                return entry;
            }
        }
        return null;
    }

    /**
     * The snapshot that answers the request: its own entry, or, when the request was coalesced into a snapshot that
     * started after it (requests queued during a pause or an outage become one backup), that snapshot.
     */
    private static JsonNode answer(Api snapshots, JsonNode entry) {
        if (entry == null || !entry.path("phase").asText().equals("COALESCED")) {
            return entry;
        }
        return snapshots.get("/api/v1/snapshots/" + entry.path("coalescedInto").asText());
    }

    /** A line for each step the snapshot reached (from its times, so a fast one is not missed). */
    private static java.util.List<String> progress(JsonNode entry) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add("PENDING: snapshot " + entry.path("id").asText() + " queued");
        if (entry.hasNonNull("startedAt")) {
            lines.add("RUNNING: streaming from " + (entry.hasNonNull("endpoint") ? entry.path("endpoint").asText() : "etcd"));
        }
        switch (entry.path("phase").asText()) {
            case "COMPLETED" -> lines.add("COMPLETED: " + Output.bytes(entry, "rawSize") + " at revision " + entry.path("revision").asLong());
            case "FAILED" -> lines.add("FAILED: " + entry.path("reason").asText());
            default -> {
            }
        }
        return lines;
    }
}
