package dev.lifeboat.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lifeboat timeline --cluster C}: every Lifeboat event about a cluster, oldest first, with its trace id. */
@Command(name = "timeline", description = "Every event about a cluster from every service, oldest first.", mixinStandardHelpOptions = true)
final class TimelineCommand extends Base implements java.util.concurrent.Callable<Integer> {

    @Mixin
    Format format;
    @Option(names = "--cluster", required = true)
    String cluster;
    @Option(names = "--since", description = "RFC 3339 time")
    String since;
    @Option(names = "--limit", defaultValue = "200")
    int limit;

    @Override
    public Integer call() {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("since", since);
        query.put("limit", limit);
        JsonNode events = root().scheduler().get("/api/v1/clusters/" + cluster + "/timeline", query);
        Output output = output(format);
        if (output.json()) {
            output.print(events);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("TIME", "SOURCE", "TYPE", "TRACE", "SUMMARY");
        for (JsonNode event : events) {
            table.row(event.path("time").asText(), event.path("source").asText().replace("lifeboat/", ""),
                    event.path("type").asText().replace("lifeboat.", "").replaceAll("\\.v\\d+$", ""), Output.text(event, "traceId"),
                    event.path("summary").asText());
        }
        table.print(out());
        return CliException.OK;
    }
}
