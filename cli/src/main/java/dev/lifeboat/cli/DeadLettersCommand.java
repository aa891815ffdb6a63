package dev.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code lifeboat dead-letters list|replay --service S}: the records a service could never process (malformed, unknown
 * type), with the reason, and putting one back on the topic it came from once the cause is fixed.
 */
@Command(name = "dead-letters", description = "Records a service could never process, and replaying them.", mixinStandardHelpOptions = true)
final class DeadLettersCommand extends Base {

    enum Service {
        scheduler, snapshot, retention, restore
    }

    @Command(name = "list", description = "The dead-lettered records of a service, oldest first, with the reason (never their body).")
    int list(@Mixin Format format, @Option(names = "--service", required = true, description = "one of ${COMPLETION-CANDIDATES}") Service service,
            @Option(names = "--topic", description = "one of the service's dead-letter topics (default: its first)") String topic,
            @Option(names = "--from", defaultValue = "0", description = "the first offset to show") long from,
            @Option(names = "--limit", defaultValue = "100") int limit) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("topic", topic);
        query.put("from", from);
        query.put("limit", limit);
        JsonNode listed = api(service).get("/api/v1/dead-letters", query);
        Output output = output(format);
        if (output.json()) {
            output.print(listed);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("TOPIC", "PARTITION", "OFFSET", "TIME", "FROM", "TYPE", "KEY", "REASON");
        for (JsonNode record : listed.path("records")) {
            table.row(record.path("topic").asText(), record.path("partition").asInt(), record.path("offset").asLong(), record.path("at").asText(),
                    Output.text(record, "originalTopic"), Output.text(record, "type"), Output.text(record, "key"), Output.text(record, "reason"));
        }
        table.print(out());
        return CliException.OK;
    }

    @Command(name = "replay", description = "Put one dead-lettered record back on the topic it came from (role admin).")
    int replay(@Mixin Format format, @Option(names = "--service", required = true, description = "one of ${COMPLETION-CANDIDATES}") Service service,
            @Option(names = "--topic", required = true) String topic, @Option(names = "--partition", defaultValue = "0") int partition,
            @Option(names = "--offset", required = true) long offset) {
        if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
            throw new CliException(CliException.REFUSED, "--topic must be a Kafka topic name (letters, digits, '.', '_', '-')");
        }
        JsonNode replayed = api(service).post("/api/v1/dead-letters/" + topic + "/" + partition + "/" + offset + "/replay", null);
        Output output = output(format);
        if (output.json()) {
            output.print(replayed);
        } else {
            output.say("replayed " + replayed.path("from").asText() + " to " + replayed.path("topic").asText() + "-" + replayed.path("partition").asInt()
                    + "@" + replayed.path("offset").asLong());
        }
        return CliException.OK;
    }

    private Api api(Service service) {
        return switch (service) {
            case scheduler -> root().scheduler();
            case snapshot -> root().snapshots();
            case retention -> root().retention();
            case restore -> root().restores();
        };
    }
}
