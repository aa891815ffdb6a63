package dev.lifeboat.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lifeboat retention preview|run --cluster C}: what retention keeps and deletes, and why. */
@Command(name = "retention", description = "Retention of a cluster's snapshots.", mixinStandardHelpOptions = true)
final class RetentionCommand extends Base {

    @Command(name = "preview", description = "Every snapshot with keep or delete and the rule that decided; deletes nothing.")
    int preview(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster) {
        JsonNode preview = root().retention().get("/api/v1/clusters/" + cluster + "/retention/preview");
        Output output = output(format);
        if (output.json()) {
            output.print(preview);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("SNAPSHOT", "COMPLETED", "STORED", "VERIFIED", "DECISION", "RULE");
        for (JsonNode item : preview.path("snapshots")) {
            table.row(item.path("id").asText(), item.path("completedAt").asText(), Output.bytes(item, "storedSize"),
                    item.hasNonNull("verifiedAt") ? item.path("verifiedAt").asText() : "-", item.path("keep").asBoolean() ? "keep" : "delete",
                    item.path("rule").asText());
        }
        table.print(out());
        if (!preview.path("viewComplete").asBoolean()) {
            output.say("(retention-service has not finished its first reconciliation with the bucket: nothing is deleted until it has)");
        }
        preview.path("orphans").forEach(orphan -> output.say("orphan object " + orphan.path("objectKey").asText() + ", deleted after "
                + orphan.path("deletableAfter").asText()));
        preview.path("missing").forEach(missing -> output.say("snapshot " + missing.asText() + " is MISSING: its object is gone"));
        return CliException.OK;
    }

    @Command(name = "run", description = "Reconcile with the bucket and prune now.")
    int run(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster) {
        JsonNode outcome = root().retention().post("/api/v1/clusters/" + cluster + "/retention/run", null);
        Output output = output(format);
        if (output.json()) {
            output.print(outcome);
        } else {
            output.say("retention of " + cluster + ": " + outcome.path("deleted").size() + " deleted, " + outcome.path("kept").asInt() + " kept, "
                    + outcome.path("orphansDeleted").size() + " orphans deleted");
        }
        return CliException.OK;
    }
}
