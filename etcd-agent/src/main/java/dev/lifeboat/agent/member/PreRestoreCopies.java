package dev.lifeboat.agent.member;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.lifeboat.agent.AgentConfig;
import io.quarkus.logging.Log;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * The copies of the member's data the agent keeps so that a restore can be undone, and when they go. Two kinds:
 * <ul>
 * <li>the pre-restore data dir of a restore that completed ({@code <data-dir>.pre-restore-<time>}), kept
 * {@code keep-pre-restore} after the saga reported COMPLETED, for a rollback;</li>
 * <li>the data dir a rollback replaced ({@code <data-dir>.replaced-by-rollback-<restore>-<time>}): the restored data
 * and every write since, kept {@code keep-pre-restore} after the rollback, never deleted by it.</li>
 * </ul>
 * Together they stay within {@code pre-restore-max-size}: above it the oldest copies are released first, each with a
 * warning and the reason in the restore's state (what {@code GET /api/v1/member} shows). The pre-restore data dir of
 * a restore that FAILED is never released here: it may be the only copy of the member's data.
 */
@ApplicationScoped
public class PreRestoreCopies {

    /**
     * A kept copy: the restore it belongs to, whether a rollback set it aside, where it is, since when (its age for
     * the size limit), from when its time runs (null: not yet, the saga has not reported COMPLETED), its size.
     */
    public record Copy(RestoreState state, boolean replacedByRollback, Path dir, Instant since, Instant timeRunsFrom, long bytes) {
    }

    /** A copy to release, and why. */
    public record Release(Copy copy, String reason) {
    }

    private final AgentConfig config;
    private final StateFiles states;

    public PreRestoreCopies(AgentConfig config, StateFiles states) {
        this.config = config;
        this.states = states;
    }

    /** Releases what is due (time, then size) and returns the bytes still kept. */
    public long release() {
        List<Copy> kept = kept(states.all());
        List<Release> due = due(kept, Instant.now(), config.keepPreRestore(), config.preRestoreMaxSize().asLongValue());
        for (Release release : due) {
            Copy copy = release.copy();
            MemberRestorer.deleteTree(copy.dir());
            RestoreState state = copy.state();
            if (copy.replacedByRollback()) {
                state.replacedReleased = release.reason();
            } else {
                state.asideRemoved = true;
                state.asideReleased = release.reason();
            }
            states.save(state);
            if (release.reason().startsWith("kept")) {
                Log.infof("restore %s: removed %s (%s)", state.restoreId, copy.dir(), release.reason());
            } else {
                Log.warnf("restore %s: released %s early (%s)", state.restoreId, copy.dir(), release.reason());
            }
        }
        return kept.stream().filter(copy -> due.stream().noneMatch(release -> release.copy() == copy)).mapToLong(Copy::bytes).sum();
    }

    /** The copies on disk that may be released. */
    static List<Copy> kept(List<RestoreState> all) {
        List<Copy> copies = new ArrayList<>();
        for (RestoreState state : all) {
            if (state.step == RestoreState.Step.DONE && state.asideDir != null && !state.asideRemoved) {
                Path dir = Path.of(state.asideDir);
                if (Files.isDirectory(dir)) {
                    copies.add(new Copy(state, false, dir, state.receivedAt, state.sagaCompletedAt, size(dir)));
                }
            }
            if (state.replacedDir != null && state.replacedReleased == null && state.rolledBackAt != null) {
                Path dir = Path.of(state.replacedDir);
                if (Files.isDirectory(dir)) {
                    copies.add(new Copy(state, true, dir, state.rolledBackAt, state.rolledBackAt, size(dir)));
                }
            }
        }
        return copies;
    }

    /**
     * What goes: every copy older than {@code keep}; then, oldest first, copies until the rest fit in {@code maxBytes}
     * (a single copy larger than the limit goes too: the limit is what the disk was sized for).
     */
    static List<Release> due(List<Copy> copies, Instant now, Duration keep, long maxBytes) {
        List<Copy> byAge = copies.stream().sorted(Comparator.comparing(Copy::since)).toList();
        List<Release> due = new ArrayList<>();
        long total = 0;
        for (Copy copy : byAge) {
            if (copy.timeRunsFrom() != null && copy.timeRunsFrom().plus(keep).isBefore(now)) {
                due.add(new Release(copy, "kept " + keep + " after the " + (copy.replacedByRollback() ? "rollback" : "restore completed")));
            } else {
                total += copy.bytes();
            }
        }
        for (Copy copy : byAge) {
            if (total <= maxBytes) {
                break;
            }
            if (due.stream().noneMatch(release -> release.copy() == copy)) {
                due.add(new Release(copy, "the copies of this member's data took " + total + " bytes, above pre-restore-max-size ("
                        + maxBytes + " bytes); the oldest go first"));
                total -= copy.bytes();
            }
        }
        return due;
    }

    private static long size(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> {
                try {
                    return Files.size(file);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + dir, e);
        }
    }
}
