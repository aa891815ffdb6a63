package dev.lifeboat.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lifeboat.etcdsnapshot.DeltaFile;
import dev.lifeboat.etcdsnapshot.EtcdSnapshot;
import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.etcdsnapshot.SnapshotStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code lifeboat snapshot status FILE}: a snapshot file (or a plain delta) checked offline, without etcd or Lifeboat's services. */
@Command(name = "snapshot", description = "Snapshot files, offline.", mixinStandardHelpOptions = true)
final class SnapshotCommand extends Base {

    @Command(name = "status", description = "Check an etcd snapshot file (hash trailer, pages, keys) or a plain Lifeboat delta; print what it holds.")
    int status(@Mixin Format format, @Parameters(paramLabel = "FILE") Path file) {
        requireReadableFile(file);
        ObjectNode result = isDelta(file) ? delta(file) : snapshot(file);
        Output output = output(format);
        if (output.json()) {
            output.print(result);
            return CliException.OK;
        }
        Output.Table table = new Output.Table("FIELD", "VALUE");
        result.fields().forEachRemaining(field -> table.row(field.getKey(), field.getValue().asText()));
        table.print(out());
        return CliException.OK;
    }

    private static ObjectNode snapshot(Path file) {
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
            SnapshotStatus status = snapshot.verify();
            ObjectNode result = Api.JSON.createObjectNode();
            result.put("file", file.toString());
            result.put("kind", "etcd snapshot");
            result.put("hash", status.hash());
            result.put("revision", snapshot.storeRevision(status));
            result.put("totalKey", status.totalKey());
            result.put("totalSize", status.totalSize());
            result.put("liveKeys", status.liveKeys());
            result.put("hashTrailer", snapshot.hasHashTrailer() ? "present, matches" : "absent (a copy of a data dir's db)");
            return result;
        } catch (SnapshotFormatException e) {
            throw new CliException(CliException.FAILED, file + " is not a valid etcd snapshot: " + e.getMessage());
        }
    }

    private static ObjectNode delta(Path file) {
        try (DeltaFile.Reader reader = DeltaFile.Reader.open(file)) {
            DeltaFile.Summary summary = reader.readAll(change -> {
            });
            ObjectNode result = Api.JSON.createObjectNode();
            result.put("file", file.toString());
            result.put("kind", "lifeboat delta");
            result.put("cluster", reader.header().clusterId());
            result.put("chain", reader.header().chainId());
            result.put("firstRevision", summary.firstRevision());
            result.put("lastRevision", summary.lastRevision());
            result.put("changes", summary.events());
            result.put("revisions", summary.revisions());
            return result;
        } catch (SnapshotFormatException e) {
            throw new CliException(CliException.FAILED, file + " is not a valid Lifeboat delta: " + e.getMessage());
        } catch (IOException e) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Refuses, in plain words, a path that is missing, a directory, or not readable (exit code 1). */
    private static void requireReadableFile(Path file) {
        if (!Files.exists(file)) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": it is a directory, not a snapshot file");
        }
        if (!Files.isReadable(file)) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": permission denied");
        }
    }

    /** A plain delta starts with its JSON header; an etcd snapshot with a bbolt page. */
    private static boolean isDelta(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == '{';
        } catch (IOException e) {
            throw new CliException(CliException.FAILED, "cannot read " + file + ": " + e.getMessage());
        }
    }
}
