package dev.lifeboat.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lifeboat snapshots list|download}: the snapshot catalog. */
@Command(name = "snapshots", description = "List snapshots and download their content.", mixinStandardHelpOptions = true)
final class SnapshotsCommand extends Base {

    @Command(name = "list", description = "A cluster's snapshots, newest first.")
    int list(@Mixin Format format, @Option(names = "--cluster", required = true) String cluster,
            @Option(names = "--kind", description = "FULL or DELTA (default: both)") String kind,
            @Option(names = "--phase", description = "PENDING, RUNNING, COMPLETED, FAILED or DELETED") String phase,
            @Option(names = "--limit", defaultValue = "50") int limit) {
        Map<String, Object> query = new LinkedHashMap<>();
        query.put("cluster", cluster);
        query.put("kind", kind);
        query.put("phase", phase);
        query.put("limit", limit);
        JsonNode snapshots = root().snapshots().get("/api/v1/snapshots", query);
        Output output = output(format);
        if (output.json()) {
            output.print(snapshots);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("ID", "KIND", "PHASE", "REVISION", "SIZE", "STORED", "COMPLETED", "OBJECT / REASON");
        for (JsonNode snapshot : snapshots) {
            String revision = snapshot.hasNonNull("firstRevision") ? snapshot.path("firstRevision").asLong() + "-" + snapshot.path("revision").asLong()
                    : Output.text(snapshot, "revision");
            table.row(snapshot.path("id").asText(), snapshot.path("kind").asText(), snapshot.path("phase").asText(), revision,
                    Output.bytes(snapshot, "rawSize"), Output.bytes(snapshot, "storedSize"), Output.text(snapshot, "completedAt"),
                    snapshot.hasNonNull("reason") ? snapshot.path("reason").asText() : Output.text(snapshot, "objectKey"));
        }
        table.print(out());
        return CliException.OK;
    }

    @Command(name = "download", description = "The plain content (decrypted, decompressed): an etcd snapshot file for etcdctl snapshot restore, "
            + "or a plain delta.")
    int download(@Parameters(paramLabel = "ID") String id,
            @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "where to write it") Path file) {
        long bytes = root().snapshots().download("/api/v1/snapshots/" + id + "/content", file);
        out().println("snapshot " + id + ": " + bytes + " bytes written to " + file);
        out().flush();
        return CliException.OK;
    }
}
