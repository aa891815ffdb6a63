package dev.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lifeboat restore --cluster C --snapshot ID|latest [--to-revision R|--to-time T] --mode REPLACE|API [--prefix P] [--wait]}.
 * With {@code --wait} it follows the saga phase by phase and exits 0 only when the restore COMPLETED.
 */
@Command(name = "restore", description = "Restore a cluster from a snapshot or to a point in time.", mixinStandardHelpOptions = true)
final class RestoreCommand extends Base implements java.util.concurrent.Callable<Integer> {

    @Mixin
    Format format;
    @Option(names = "--cluster", required = true, description = "the cluster whose backups are restored")
    String cluster;
    @Option(names = "--snapshot", description = "a snapshot id, or latest (the default without --to-revision/--to-time)")
    String snapshot;
    @Option(names = "--to-revision", description = "the keyspace as it was at this revision (full snapshot + deltas)")
    Long toRevision;
    @Option(names = "--to-time", description = "the keyspace as it was at this time, RFC 3339 (full snapshot + deltas)")
    String toTime;
    @Option(names = "--mode", defaultValue = "API", description = "API (keys through etcd's API, the default) or REPLACE (every member's data dir)")
    String mode;
    @Option(names = "--prefix", description = "API: restore only keys starting with this")
    String prefix;
    @Option(names = "--prune", description = "API: also delete keys in the range the snapshot lacks")
    boolean prune;
    @Option(names = "--target-cluster", description = "write into this cluster instead (needs --allow-cross-cluster)")
    String targetCluster;
    @Option(names = "--allow-cross-cluster")
    boolean allowCrossCluster;
    @Option(names = "--dry-run", description = "report what would change; write and pause nothing")
    boolean dryRun;
    @Option(names = "--id", description = "your id for the restore; the same id twice is one restore")
    String restoreId;
    @Option(names = "--wait", description = "follow the restore until it ends; exit 0 only when it COMPLETED")
    boolean wait;
    @Option(names = "--timeout", defaultValue = "60m", description = "how long --wait waits (default ${DEFAULT-VALUE})")
    String timeout;

    @Override
    public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("restoreId", restoreId);
        body.put("cluster", cluster);
        body.put("snapshot", snapshot);
        body.put("toRevision", toRevision);
        body.put("toTime", toTime);
        body.put("mode", mode);
        body.put("keyPrefix", prefix);
        body.put("prune", prune);
        body.put("targetCluster", targetCluster);
        body.put("allowCrossCluster", allowCrossCluster);
        body.put("dryRun", dryRun);
        Api restores = root().restores();
        JsonNode accepted = restores.post("/api/v1/restores", body);
        String id = accepted.path("id").asText();
        Output output = output(format);
        if (!wait) {
            output.answer(accepted, "restore " + id + " of " + cluster + " accepted (" + accepted.path("mode").asText() + ", snapshot "
                    + accepted.path("snapshot").asText() + "); follow it with --wait or GET /api/v1/restores/" + id);
            return CliException.OK;
        }
        output.say("restore " + id + " of " + cluster + " from snapshot " + accepted.path("snapshot").asText() + " (" + accepted.path("mode").asText() + ")");
        JsonNode view = Waiting.until(() -> restores.get("/api/v1/restores/" + id), v -> {
            String phase = v.path("phase").asText();
            return phase.equals("COMPLETED") || phase.equals("FAILED");
        }, RestoreCommand::progress, Waiting.duration(timeout, "--timeout"), "restore " + id, output);
        if (output.json()) {
            output.print(view);
        }
        if (view.path("phase").asText().equals("FAILED")) {
            throw new CliException(CliException.FAILED, "restore " + id + " failed: " + view.path("error").asText());
        }
        JsonNode progress = view.path("progress");
        String what = "REPLACE".equals(view.path("mode").asText())
                ? "every member serves the snapshot's " + progress.path("keysTotal").asLong() + " keys at revision " + view.path("members").path(0).path("revision").asLong()
                : progress.path("keysPut").asLong() + " keys put, " + progress.path("keysDeleted").asLong() + " deleted, " + progress.path("keysUnchanged").asLong()
                        + " unchanged" + (view.path("dryRun").asBoolean() ? " (dry run: nothing written)" : "");
        output.say("restore " + id + " completed: " + what + (view.hasNonNull("note") ? "; " + view.path("note").asText() : ""));
        return CliException.OK;
    }

    /** One line per phase the saga entered (from its phase times, so a fast phase is not missed), then RESTORING's progress and the end. */
    private static java.util.List<String> progress(JsonNode view) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        view.path("phases").fieldNames().forEachRemaining(lines::add);
        String phase = view.path("phase").asText();
        JsonNode progress = view.path("progress");
        if (phase.equals("RESTORING") && progress.hasNonNull("keysTotal")) {
            lines.add("RESTORING: " + progress.path("keysProcessed").asLong() + " of " + progress.path("keysTotal").asLong() + " keys");
        }
        if (view.path("members").isArray()) {
            view.path("members").forEach(member -> lines.add("member " + member.path("name").asText() + ": " + member.path("state").asText()));
        }
        if (view.hasNonNull("pointInTime") && view.path("pointInTime").hasNonNull("revision")) {
            lines.add("point in time: revision " + view.path("pointInTime").path("revision").asLong());
        }
        if (phase.equals("COMPLETED")) {
            lines.add("COMPLETED");
        } else if (phase.equals("FAILED")) {
            lines.add("FAILED: " + view.path("error").asText());
        }
        return lines;
    }
}
