package dev.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lifeboat drill run --cluster C [--snapshot ID|latest | --to-revision R] [--wait]} and {@code lifeboat drill list --cluster C}: restore
 * drills — a snapshot restored into a scratch etcd on one of the cluster's etcd-agents and compared with the backup. With
 * {@code --wait}, exits 0 only when the drill PASSED.
 */
@Command(name = "drill", description = "Prove a snapshot restorable: restore it into a scratch etcd and compare it with the backup.",
        mixinStandardHelpOptions = true)
final class DrillCommand extends Base {

    @Command(name = "run", description = "Run a drill of a snapshot (the newest intact full one by default).")
    int run(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster,
            @Option(names = "--snapshot", description = "a full snapshot id, or latest (the default)") String snapshot,
            @Option(names = "--to-revision", description = "a point-in-time drill: the deltas replayed onto their full snapshot and compared "
                    + "at the newest delta end (with a recorded hash) at or before this revision") Long toRevision,
            @Option(names = "--id", description = "your id for the drill; the same id twice is one drill") String drillId,
            @Option(names = "--wait", description = "follow the drill until its verdict; exit 0 only when it PASSED") boolean wait,
            @Option(names = "--timeout", defaultValue = "90m", description = "how long --wait waits (default ${DEFAULT-VALUE})") String timeout) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("cluster", cluster);
        body.put("snapshot", snapshot);
        body.put("drillId", drillId);
        body.put("toRevision", toRevision);
        Api restores = root().restores();
        JsonNode accepted = restores.post("/api/v1/drills", body);
        String id = accepted.path("id").asText();
        Output output = output(format);
        if (!wait) {
            output.answer(accepted, "drill " + id + " of snapshot " + accepted.path("snapshot").asText() + " (cluster " + cluster + ") accepted; the "
                    + "etcd-agent of " + accepted.path("member").asText() + " runs it; follow it with --wait or GET /api/v1/drills/" + id);
            return CliException.OK;
        }
        int deltas = accepted.path("deltas").size();
        output.say("drill " + id + " of snapshot " + accepted.path("snapshot").asText() + (deltas == 0 ? "" : " + " + deltas + " deltas")
                + " (cluster " + cluster + ", revision " + accepted.path("revision").asLong() + ")");
        JsonNode view = Waiting.until(() -> restores.get("/api/v1/drills/" + id), v -> !"RUNNING".equals(v.path("state").asText()),
                DrillCommand::progress, Waiting.duration(timeout, "--timeout"), "drill " + id, output);
        if (output.json()) {
            output.print(view);
        }
        if (!"PASSED".equals(view.path("state").asText())) {
            throw new CliException(CliException.FAILED, "drill " + id + " failed at " + view.path("stage").asText() + ": " + view.path("reason").asText());
        }
        JsonNode times = view.path("times");
        output.say("drill " + id + " passed: snapshot " + view.path("snapshot").asText() + " restored and served " + view.path("observedKeys").asLong()
                + " keys" + (view.path("hashCompared").asBoolean() ? " with the HashKV recorded at backup (" + view.path("observedHash").asLong() + ")"
                        : " (no hash was recorded to compare)") + "; recovery took " + seconds(times.path("recoveryMillis").asLong()) + " (fetch "
                + seconds(times.path("fetchMillis").asLong()) + ", restore " + seconds(times.path("restoreMillis").asLong()) + ", start "
                + seconds(times.path("startMillis").asLong()) + ") for a " + Output.bytes(times, "dbBytes") + " db"
                + (view.hasNonNull("note") ? "; " + view.path("note").asText() : ""));
        return CliException.OK;
    }

    @Command(name = "list", description = "A cluster's drills, newest first.")
    int list(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster) {
        JsonNode drills = root().restores().get("/api/v1/drills?cluster=" + cluster);
        Output output = output(format);
        if (output.json()) {
            output.print(drills);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("DRILL", "SNAPSHOT", "MEMBER", "STATE", "RECOVERY", "WHEN", "REASON");
        for (JsonNode drill : drills) {
            JsonNode recovery = drill.path("times").path("recoveryMillis");
            table.row(drill.path("id").asText(), drill.path("snapshot").asText(), drill.path("member").asText(), drill.path("state").asText(),
                    recovery.isNumber() ? seconds(recovery.asLong()) : "-", drill.path("createdAt").asText(),
                    drill.hasNonNull("reason") ? drill.path("stage").asText() + ": " + drill.path("reason").asText() : "");
        }
        table.print(out());
        return CliException.OK;
    }

    private static List<String> progress(JsonNode view) {
        String state = view.path("state").asText();
        return List.of(state.equals("RUNNING") ? "RUNNING on " + view.path("member").asText() + " (attempt " + view.path("attempts").asInt() + ")"
                : state.equals("PASSED") ? "PASSED" : "FAILED at " + view.path("stage").asText() + ": " + view.path("reason").asText());
    }

    private static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }
}
