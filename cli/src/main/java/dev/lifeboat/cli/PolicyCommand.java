package dev.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lifeboat policy set|list}: backup policies (schedules, retention, delta capture). */
@Command(name = "policy", description = "Set and list backup policies.", mixinStandardHelpOptions = true)
final class PolicyCommand extends Base {

    @Command(name = "set", description = "Create or replace a policy (the same --id again replaces it).")
    int set(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster,
            @Option(names = "--id", description = "the policy id (default: one is made up)") String id,
            @Option(names = "--schedule", required = true, description = "5-field cron, @hourly/@daily/..., or @every <duration> (DELTA: its period)")
            String schedule,
            @Option(names = "--time-zone", description = "IANA zone the cron fields are read in (default UTC)") String timeZone,
            @Option(names = "--kind", defaultValue = "FULL", description = "FULL (default), DELTA (continuous capture) or DRILL (a restore drill of the newest full snapshot at each slot)") String kind,
            @Option(names = "--jitter", description = "spread slots over this window, e.g. 30m") String jitter,
            @Option(names = "--keep-last", description = "keep the N newest full snapshots") Integer keepLast,
            @Option(names = "--max-age", description = "keep snapshots younger than this, e.g. 720h") String maxAge,
            @Option(names = "--max-total-size", description = "stored bytes per cluster, oldest go first") Long maxTotalSize,
            @Option(names = "--exponential", description = "Gardener's thinning: hourly for 24 h, daily for 7 days, weekly for 4 weeks")
            boolean exponential,
            @Option(names = "--delta-max-bytes", description = "DELTA: write a delta once this many bytes of changes accumulated") Long deltaMaxBytes,
            @Option(names = "--drill-snapshot", description = "DRILL: latest (default: the newest full snapshot) or undrilled (the oldest of "
                    + "the last 24 h no drill judged yet: with a schedule at least as frequent as backups, each new full snapshot is drilled)")
            String drillSnapshot) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id);
        body.put("schedule", schedule);
        body.put("timeZone", timeZone);
        body.put("kind", kind);
        body.put("jitter", jitter);
        body.put("deltaMaxBytes", deltaMaxBytes);
        body.put("drillSnapshot", drillSnapshot);
        if (keepLast != null || maxAge != null || maxTotalSize != null || exponential) {
            Map<String, Object> retention = new LinkedHashMap<>();
            retention.put("keepLast", keepLast);
            retention.put("maxAge", maxAge);
            retention.put("maxTotalSizeBytes", maxTotalSize);
            retention.put("exponential", exponential ? Boolean.TRUE : null);
            body.put("retention", retention);
        }
        JsonNode policy = root().scheduler().post("/api/v1/clusters/" + cluster + "/policies", body);
        Output output = output(format);
        if (output.json()) {
            output.print(policy);
        } else {
            output.say("policy " + policy.path("id").asText() + " of cluster " + cluster + " set: " + policy.path("kind").asText() + " "
                    + policy.path("schedule").asText() + (policy.hasNonNull("nextFireAt") ? ", next at " + policy.path("nextFireAt").asText() : ""));
        }
        return CliException.OK;
    }

    @Command(name = "list", description = "A cluster's policies with their next firing.")
    int list(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster) {
        JsonNode policies = root().scheduler().get("/api/v1/clusters/" + cluster + "/policies");
        Output output = output(format);
        if (output.json()) {
            output.print(policies);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("ID", "KIND", "SCHEDULE", "ZONE", "RETENTION", "NEXT");
        for (JsonNode policy : policies) {
            JsonNode retention = policy.path("retention");
            StringBuilder keep = new StringBuilder();
            if (retention.hasNonNull("keepLast")) {
                keep.append("keepLast ").append(retention.path("keepLast").asInt()).append(' ');
            }
            if (retention.hasNonNull("maxAge")) {
                keep.append("maxAge ").append(retention.path("maxAge").asText()).append(' ');
            }
            if (retention.path("exponential").asBoolean()) {
                keep.append("exponential ");
            }
            if (retention.hasNonNull("maxTotalSizeBytes")) {
                keep.append("max ").append(Output.bytes(retention, "maxTotalSizeBytes"));
            }
            if (policy.hasNonNull("deltaMaxBytes")) {
                keep.append("every ").append(Output.bytes(policy, "deltaMaxBytes")).append(" of changes");
            }
            String kind = policy.path("kind").asText() + (policy.hasNonNull("drillSnapshot") ? " (" + policy.path("drillSnapshot").asText() + ")" : "");
            table.row(policy.path("id").asText(), kind, policy.path("schedule").asText(), policy.path("timeZone").asText(),
                    keep.toString().strip().isEmpty() ? null : keep.toString().strip(), Output.text(policy, "nextFireAt"));
        }
        table.print(out());
        return CliException.OK;
    }
}
