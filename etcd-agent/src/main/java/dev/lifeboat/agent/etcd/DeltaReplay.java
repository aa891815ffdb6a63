package dev.lifeboat.agent.etcd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.etcdsnapshot.SnapshotReplay;
import dev.lifeboat.events.Ids;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Point-in-time REPLACE: turns a full snapshot plus deltas into the snapshot of the keyspace at a target
 * revision, before the member's data dir is built from it. The deltas are fetched one at a time into a
 * scratch dir and their changes written, revision by revision, straight into a new snapshot file
 * ({@link SnapshotReplay}): the file etcd would have written had it applied each revision as one
 * transaction — same key bucket bytes (etcd's HashKV agrees), same create and mod revisions and versions,
 * the leases the changes name with their TTLs — ending at exactly the target revision. A hole in the
 * chain or changes that stop short of the target fail the restore before the member is touched.
 */
@ApplicationScoped
public class DeltaReplay {

    /** Fetches a delta's plain content to a file. */
    public interface Fetcher {
        void fetch(String deltaId, Path file);
    }

    /** What a replay did. */
    public record Outcome(Path snapshot, long revision, long revisions, long changes, double seconds) {
    }

    /**
     * Replays the deltas onto {@code fullSnapshot} up to {@code toRevision}, in {@code scratch} (which
     * must not be in use); returns the snapshot of the result, {@code scratch/replayed.db}.
     */
    public Outcome replay(Path fullSnapshot, List<String> deltaIds, long toRevision, Path scratch, Fetcher fetcher) {
        long begin = System.nanoTime();
        deleteTree(scratch);
        try {
            Files.createDirectories(scratch);
        } catch (IOException e) {
            throw new EtcdProcessException("cannot create the replay's scratch dir " + scratch + ": " + e.getMessage());
        }
        Path replayed = scratch.resolve("replayed.db");
        SnapshotReplay.DeltaSequence.Files deltas = index -> {
            if (index >= deltaIds.size()) {
                return null;
            }
            Path file = Ids.under(scratch, "", deltaIds.get(index), ".delta");
            fetcher.fetch(deltaIds.get(index), file);
            return file;
        };
        try (SnapshotReplay.DeltaSequence changes = new SnapshotReplay.DeltaSequence(deltas, DeltaReplay::deleteQuietly)) {
            SnapshotReplay.Result result = SnapshotReplay.write(fullSnapshot, toRevision, changes, replayed);
            return new Outcome(replayed, result.revision(), result.revisions(), result.changes(), (System.nanoTime() - begin) / 1e9);
        } catch (SnapshotFormatException e) {
            throw new EtcdProcessException("the deltas could not be replayed onto the snapshot: " + e.getMessage());
        } catch (IOException e) {
            throw new EtcdProcessException("the replay could not read a delta it had fetched: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the scratch dir goes as a whole after the replay
        }
    }

    public static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new EtcdProcessException("cannot remove " + root + ": " + e.getMessage());
        }
    }
}
