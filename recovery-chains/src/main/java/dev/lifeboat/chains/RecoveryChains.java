package dev.lifeboat.chains;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a cluster can be restored to, from its full snapshots and delta chains — pure logic, shared by
 * restore-service (point-in-time plans, recovery windows) and retention-service (which deltas are
 * still needed).
 *
 * <p>A <em>chain</em> is what one uninterrupted delta capture wrote: deltas whose revisions follow each
 * other without a hole, starting after its base full snapshot. A full snapshot is <em>usable</em> with
 * a chain when it is the chain's base or completed while the chain captured (its {@code chainId}): only
 * then do its revisions and the chain's belong to the same history — a REPLACE restore can make etcd
 * count the same revisions again, and a capture pause ends a chain for that reason. A chain whose deltas
 * lost one in the middle (a missing object) splits into segments; none is bridged.
 */
public final class RecoveryChains {

    private RecoveryChains() {
    }

    /** A Completed full snapshot. {@code chainId}: the chain capturing when it completed, or null. */
    public record Full(String id, long revision, Instant startedAt, Instant completedAt, String chainId) {
    }

    /** A Completed delta: revisions {@code firstRevision..lastRevision} of chain {@code chainId}. */
    public record Delta(String id, String chainId, String baseSnapshotId, long firstRevision, long lastRevision, Instant firstEventAt,
            Instant lastEventAt, Instant completedAt) {
    }

    /**
     * Revisions and times a cluster can be restored to: every revision from {@code fromRevision} to
     * {@code toRevision}, every time from {@code fromTime} to {@code toTime}. A full snapshot outside any
     * chain is a window of one revision ({@code chainId} null).
     */
    public record Window(String chainId, long fromRevision, long toRevision, Instant fromTime, Instant toTime, List<String> fullSnapshotIds,
            int deltas) {
    }

    /**
     * How to reach a target: the full snapshot, then the deltas in order, up to {@code toRevision} or, for
     * a target time, every change received until {@code toTime} (its revision is known once the deltas are read).
     */
    public record Plan(Full full, List<Delta> deltas, Long toRevision, Instant toTime, String chainId) {
    }

    /** The target lies where no chain reaches, or across a gap; the message says where coverage is. */
    public static final class NotCoveredException extends RuntimeException {
        NotCoveredException(String message) {
            super(message);
        }
    }

    /** A contiguous run of one chain's deltas with the full snapshots usable as its start. */
    private record Segment(String chainId, List<Delta> deltas, List<Full> fulls) {

        long first() {
            return deltas.get(0).firstRevision();
        }

        long last() {
            return deltas.get(deltas.size() - 1).lastRevision();
        }

        Instant end() {
            return deltas.get(deltas.size() - 1).completedAt();
        }

        /** Usable fulls within the segment's reach: revision from first - 1 up to last. */
        List<Full> starts() {
            return fulls.stream().filter(f -> f.revision() >= first() - 1 && f.revision() <= last())
                    .sorted(Comparator.comparingLong(Full::revision)).toList();
        }
    }

    /** Every window, newest first: each chain segment that has a usable full, then fulls outside them. */
    public static List<Window> windows(List<Full> fulls, List<Delta> deltas) {
        List<Window> windows = new ArrayList<>();
        Set<String> inChains = new HashSet<>();
        for (Segment segment : segments(fulls, deltas)) {
            List<Full> starts = segment.starts();
            if (starts.isEmpty()) {
                continue;
            }
            starts.forEach(f -> inChains.add(f.id()));
            Full earliest = starts.get(0);
            windows.add(new Window(segment.chainId(), earliest.revision(), segment.last(), earliest.completedAt(), segment.end(),
                    starts.stream().map(Full::id).toList(), segment.deltas().size()));
        }
        for (Full full : fulls) {
            if (!inChains.contains(full.id())) {
                windows.add(new Window(null, full.revision(), full.revision(), full.completedAt(), full.completedAt(), List.of(full.id()), 0));
            }
        }
        windows.sort(Comparator.comparing(Window::toTime).reversed());
        return windows;
    }

    /** The plan to reach {@code revision}: the newest history that holds it. */
    public static Plan forRevision(List<Full> fulls, List<Delta> deltas, long revision) {
        for (Segment segment : newestFirst(segments(fulls, deltas))) {
            if (revision > segment.last()) {
                continue;
            }
            Full start = segment.starts().stream().filter(f -> f.revision() <= revision).reduce((a, b) -> b).orElse(null);
            if (start != null) {
                return new Plan(start, needed(segment, start, revision, null), revision, null, segment.chainId());
            }
        }
        Full exact = fulls.stream().filter(f -> f.revision() == revision).max(Comparator.comparing(Full::completedAt)).orElse(null);
        if (exact != null) {
            return new Plan(exact, List.of(), revision, null, exact.chainId());
        }
        throw new NotCoveredException("revision " + revision + " cannot be restored: " + describe(windows(fulls, deltas), true));
    }

    /** The plan to reach the state at {@code time}: the chain that captured then. */
    public static Plan forTime(List<Full> fulls, List<Delta> deltas, Instant time) {
        for (Segment segment : newestFirst(segments(fulls, deltas))) {
            if (time.isAfter(segment.end())) {
                continue;
            }
            Full start = segment.starts().stream().filter(f -> !f.completedAt().isAfter(time)).reduce((a, b) -> b).orElse(null);
            if (start != null) {
                return new Plan(start, needed(segment, start, Long.MAX_VALUE, time), null, time, segment.chainId());
            }
        }
        throw new NotCoveredException("the state at " + time + " cannot be restored: " + describe(windows(fulls, deltas), false));
    }

    /**
     * Deltas no kept full snapshot needs: a delta is needed while a full snapshot that is kept and usable
     * with its chain lies before its last revision. The newest full snapshot is always kept, so the deltas
     * that extend it always stay.
     */
    public static Set<String> unneededDeltas(List<Full> keptFulls, List<Delta> deltas) {
        Map<String, List<Delta>> byChain = deltas.stream().collect(Collectors.groupingBy(Delta::chainId, LinkedHashMap::new, Collectors.toList()));
        Set<String> unneeded = new HashSet<>();
        for (Map.Entry<String, List<Delta>> chain : byChain.entrySet()) {
            List<Full> usable = usable(chain.getKey(), chain.getValue(), keptFulls);
            long earliest = usable.stream().mapToLong(Full::revision).min().orElse(Long.MAX_VALUE);
            for (Delta delta : chain.getValue()) {
                if (delta.lastRevision() <= earliest) {
                    unneeded.add(delta.id());
                }
            }
        }
        return unneeded;
    }

    private static List<Delta> needed(Segment segment, Full start, long toRevision, Instant toTime) {
        return segment.deltas().stream().filter(d -> d.lastRevision() > start.revision()
                && Math.max(d.firstRevision(), start.revision() + 1) <= toRevision
                && (toTime == null || !d.firstEventAt().isAfter(toTime))).toList();
    }

    private static List<Segment> segments(List<Full> fulls, List<Delta> deltas) {
        Map<String, List<Delta>> byChain = deltas.stream().collect(Collectors.groupingBy(Delta::chainId, LinkedHashMap::new, Collectors.toList()));
        List<Segment> segments = new ArrayList<>();
        for (Map.Entry<String, List<Delta>> chain : byChain.entrySet()) {
            List<Delta> ordered = chain.getValue().stream().sorted(Comparator.comparingLong(Delta::firstRevision)).toList();
            List<Full> usable = usable(chain.getKey(), ordered, fulls);
            List<Delta> run = new ArrayList<>();
            for (Delta delta : ordered) {
                if (!run.isEmpty() && delta.firstRevision() != run.get(run.size() - 1).lastRevision() + 1) {
                    segments.add(new Segment(chain.getKey(), List.copyOf(run), usable));
                    run.clear();
                }
                run.add(delta);
            }
            segments.add(new Segment(chain.getKey(), List.copyOf(run), usable));
        }
        return segments;
    }

    private static List<Full> usable(String chainId, List<Delta> chain, List<Full> fulls) {
        Set<String> bases = chain.stream().map(Delta::baseSnapshotId).collect(Collectors.toSet());
        return fulls.stream().filter(f -> chainId.equals(f.chainId()) || bases.contains(f.id())).toList();
    }

    private static List<Segment> newestFirst(List<Segment> segments) {
        List<Segment> sorted = new ArrayList<>(segments);
        sorted.sort(Comparator.comparing(Segment::end).reversed());
        return sorted;
    }

    private static String describe(List<Window> windows, boolean revisions) {
        if (windows.isEmpty()) {
            return "the cluster has no completed full snapshot";
        }
        List<String> ranges = windows.stream().limit(5).map(w -> revisions
                ? (w.fromRevision() == w.toRevision() ? "revision " + w.fromRevision() : "revisions " + w.fromRevision() + "–" + w.toRevision())
                : (w.chainId() == null ? "the full snapshot of " + w.fromTime() + " (no delta capture after it)" : w.fromTime() + " – " + w.toTime()))
                .toList();
        return "what can be restored is " + String.join("; ", ranges) + (windows.size() > 5 ? "; …" : "")
                + " (a gap between ranges is where delta capture was interrupted; GET /api/v1/clusters/<id>/recovery-window lists them)";
    }
}
