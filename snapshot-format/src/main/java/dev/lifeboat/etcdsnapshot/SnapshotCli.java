package dev.lifeboat.etcdsnapshot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * {@code java -jar snapshot-format.jar COMMAND FILE [ARG]}:
 * <ul>
 * <li>{@code status FILE}: one JSON object: hash, revision, totalKey, totalSize (as
 * {@code etcdctl snapshot status -w json}) and liveKeys;</li>
 * <li>{@code verify FILE}: exit 0 for a good snapshot; otherwise one line saying what is wrong;</li>
 * <li>{@code ls FILE [PREFIX]}: the live keys, one a line, in the order they were written;</li>
 * <li>{@code get FILE KEY}: the live value of the key, as stored;</li>
 * <li>{@code delta FILE}: a plain Lifeboat delta, read through and checked: its header and summary as one
 * JSON object;</li>
 * <li>{@code replay FILE REVISION OUT DELTA...}: writes OUT, the snapshot at REVISION: the full snapshot
 * FILE plus the plain deltas that follow it, in chain order ({@link SnapshotReplay}); ready for
 * {@code etcdctl snapshot restore}.</li>
 * </ul>
 * Exit codes: 0 done; 1 the snapshot is invalid or unreadable, or the key does not exist; 2 usage.
 */
public final class SnapshotCli {

    static final int OK = 0;
    static final int INVALID = 1;
    static final int USAGE = 2;

    private static final String USAGE_LINE = "usage: snapshot-format (status|verify|delta) FILE | ls FILE [PREFIX] | get FILE KEY"
            + " | replay FILE REVISION OUT DELTA...";

    private SnapshotCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0 && args[0].equals("replay")) {
            return replay(args, out, err);
        }
        if (args.length < 2 || (args[0].equals("get") && args.length != 3) || args.length > 3) {
            err.println(USAGE_LINE);
            return USAGE;
        }
        Path file = Path.of(args[1]);
        if (args[0].equals("delta")) {
            return delta(file, out, err);
        }
        try (EtcdSnapshot snapshot = EtcdSnapshot.open(file)) {
            switch (args[0]) {
                case "status" -> out.println(snapshot.status().toJson());
                case "verify" -> {
                    SnapshotStatus status = snapshot.verify();
                    out.println("OK: revision " + snapshot.storeRevision(status) + ", " + status.liveKeys() + " live keys, "
                            + status.totalSize() + " bytes");
                }
                case "ls" -> list(snapshot, args.length == 3 ? args[2] : "", out);
                case "get" -> {
                    Optional<KeyValue> kv = snapshot.get(args[2].getBytes(StandardCharsets.UTF_8));
                    if (kv.isEmpty()) {
                        err.println("snapshot-format: key not found: " + args[2]);
                        return INVALID;
                    }
                    out.write(kv.get().value());
                    out.flush();
                }
                default -> {
                    err.println("snapshot-format: unknown command '" + args[0] + "' (status, verify, ls, get, delta)");
                    return USAGE;
                }
            }
            return OK;
        } catch (SnapshotFormatException e) {
            err.println("snapshot-format: " + e.getMessage());
            return INVALID;
        } catch (IOException e) {
            err.println("snapshot-format: cannot write the output: " + e.getMessage());
            return INVALID;
        }
    }

    private static int replay(String[] args, PrintStream out, PrintStream err) {
        long revision;
        try {
            revision = args.length >= 5 ? Long.parseLong(args[2]) : -1;
        } catch (NumberFormatException e) {
            revision = -1;
        }
        if (revision < 1) {
            err.println(USAGE_LINE + " (REVISION a positive number, one delta at least)");
            return USAGE;
        }
        List<Path> deltas = Arrays.stream(args, 4, args.length).map(Path::of).toList();
        try (SnapshotReplay.DeltaSequence changes = new SnapshotReplay.DeltaSequence(i -> i < deltas.size() ? deltas.get(i) : null, file -> { })) {
            SnapshotReplay.Result result = SnapshotReplay.write(Path.of(args[1]), revision, changes, Path.of(args[3]));
            out.println("{\"baseRevision\":" + result.baseRevision() + ",\"revision\":" + result.revision() + ",\"revisions\":" + result.revisions()
                    + ",\"changes\":" + result.changes() + ",\"dbSize\":" + result.dbSize() + ",\"sha256\":\"" + result.sha256() + "\"}");
            return OK;
        } catch (SnapshotFormatException e) {
            err.println("snapshot-format: " + e.getMessage());
            return INVALID;
        } catch (IOException e) {
            err.println("snapshot-format: cannot read a delta: " + e.getMessage());
            return INVALID;
        }
    }

    private static int delta(Path file, PrintStream out, PrintStream err) {
        try (DeltaFile.Reader reader = DeltaFile.Reader.open(file)) {
            DeltaFile.Summary summary = reader.readAll(change -> {
            });
            DeltaFile.Header header = reader.header();
            StringBuilder json = new StringBuilder("{\"cluster\":");
            DeltaFile.quote(json, header.clusterId());
            json.append(",\"chain\":");
            DeltaFile.quote(json, header.chainId());
            json.append(",\"after\":").append(header.afterRevision()).append(",\"first\":").append(summary.firstRevision())
                    .append(",\"last\":").append(summary.lastRevision()).append(",\"events\":").append(summary.events())
                    .append(",\"revisions\":").append(summary.revisions()).append('}');
            out.println(json);
            return OK;
        } catch (SnapshotFormatException e) {
            err.println("snapshot-format: " + e.getMessage());
            return INVALID;
        } catch (IOException e) {
            err.println("snapshot-format: cannot read " + file + ": " + e.getMessage());
            return INVALID;
        }
    }

    private static void list(EtcdSnapshot snapshot, String prefix, PrintStream out) throws IOException {
        OutputStream buffered = new BufferedOutputStream(out, 1 << 16);
        IOException[] failure = new IOException[1];
        snapshot.forEachLive(prefix.getBytes(StandardCharsets.UTF_8), kv -> {
            try {
                buffered.write(kv.key());
                buffered.write('\n');
            } catch (IOException e) {
                failure[0] = e;
            }
        });
        buffered.flush();
        if (failure[0] != null) {
            throw failure[0];
        }
    }
}
