package dev.lifeboat.retention.rules;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.lifeboat.events.Durations;
import dev.lifeboat.events.RetentionSpec;

/**
 * Which Completed full snapshots of one cluster to keep — pure logic, no I/O.
 *
 * <ol>
 * <li><b>Safety first</b>: the newest snapshot is always kept, so is the newest one a restore drill verified, and so is every snapshot that is
 * protected (pinned by a running restore, or on hold).</li>
 * <li><b>Keep rules</b> of every policy of the cluster (keepLast, maxAge, exponential): a snapshot
 * survives if any of them keeps it. A cluster with no keep rule at all keeps everything.</li>
 * <li><b>Limits</b> apply after: with maxTotalSize (the smallest of the policies'), survivors are
 * counted from the newest; from the first one that would pass the limit on, older survivors are
 * deleted, oldest first in effect. Safety-kept snapshots stay and still count.</li>
 * </ol>
 * All times are UTC; the exponential scheme is Gardener's: every snapshot of the current hour, the
 * latest of each of the 24 previous hours, of each of the 7 previous days, of each of the 4 previous
 * weeks (weeks start on Monday).
 */
public final class RetentionRules {


    private RetentionRules() {
    }

    /**
     * A snapshot to decide about; {@code protection} names why it must stay (a pin, a hold), or is null;
     * {@code verifiedAt}, when a restore drill last proved it restorable, or null.
     */
    public record Candidate(String id, Instant completedAt, long storedSize, String protection, Instant verifiedAt) {

        public Candidate(String id, Instant completedAt, long storedSize, String protection) {
            this(id, completedAt, storedSize, protection, null);
        }
    }

    /** Keep or delete, and the rule that decided. */
    public record Decision(Candidate snapshot, boolean keep, String rule) {
    }

    public static List<Decision> decide(List<Candidate> snapshots, List<RetentionSpec> specs, Instant now) {
        List<Candidate> newestFirst = new ArrayList<>(snapshots);
        newestFirst.sort(Comparator.comparing(Candidate::completedAt).reversed().thenComparing(Candidate::id));
        Map<String, String> safety = new HashMap<>();
        if (!newestFirst.isEmpty()) {
            safety.put(newestFirst.get(0).id(), "the newest snapshot is never deleted");
        }
        newestFirst.stream().filter(snapshot -> snapshot.verifiedAt() != null).findFirst()
                .ifPresent(verified -> safety.putIfAbsent(verified.id(), "the newest snapshot a restore drill proved restorable is never deleted"));
        for (Candidate snapshot : newestFirst) {
            if (snapshot.protection() != null) {
                safety.putIfAbsent(snapshot.id(), snapshot.protection());
            }
        }

        Map<String, String> kept = new HashMap<>();
        boolean anyKeepRule = false;
        Long sizeLimit = null;
        for (RetentionSpec spec : specs) {
            if (spec == null) {
                continue;
            }
            if (spec.keepLast() != null) {
                anyKeepRule = true;
                for (int i = 0; i < Math.min(spec.keepLast(), newestFirst.size()); i++) {
                    kept.putIfAbsent(newestFirst.get(i).id(), "keepLast " + spec.keepLast());
                }
            }
            if (spec.maxAge() != null) {
                anyKeepRule = true;
                Duration maxAge = parseDuration(spec.maxAge());
                for (Candidate snapshot : newestFirst) {
                    if (maxAge == null) {
                        kept.putIfAbsent(snapshot.id(), "maxAge '" + spec.maxAge() + "' is unreadable, so it keeps everything");
                    } else if (snapshot.completedAt().isAfter(now.minus(maxAge))) {
                        kept.putIfAbsent(snapshot.id(), "maxAge " + spec.maxAge());
                    }
                }
            }
            if (Boolean.TRUE.equals(spec.exponential())) {
                anyKeepRule = true;
                exponential(newestFirst, now, kept);
            }
            if (spec.maxTotalSizeBytes() != null) {
                sizeLimit = sizeLimit == null ? spec.maxTotalSizeBytes() : Math.min(sizeLimit, spec.maxTotalSizeBytes());
            }
        }

        Map<String, Decision> decisions = new LinkedHashMap<>();
        long total = 0;
        boolean overLimit = false;
        for (Candidate snapshot : newestFirst) {
            String safe = safety.get(snapshot.id());
            if (safe != null) {
                decisions.put(snapshot.id(), new Decision(snapshot, true, safe));
                total += snapshot.storedSize();
                continue;
            }
            String rule = anyKeepRule ? kept.get(snapshot.id()) : "no keep rule: everything is kept";
            if (rule == null) {
                decisions.put(snapshot.id(), new Decision(snapshot, false, "kept by no rule (" + describe(specs) + ")"));
                continue;
            }
            if (sizeLimit != null && (overLimit || total + snapshot.storedSize() > sizeLimit)) {
                overLimit = true;
                decisions.put(snapshot.id(), new Decision(snapshot, false, "over maxTotalSize " + sizeLimit + " bytes"));
                continue;
            }
            total += snapshot.storedSize();
            decisions.put(snapshot.id(), new Decision(snapshot, true, rule));
        }
        return List.copyOf(decisions.values());
    }

    /** Gardener's exponential scheme, on snapshots sorted newest first: the first one met in a bucket is its latest. */
    private static void exponential(List<Candidate> newestFirst, Instant now, Map<String, String> kept) {
        Instant hour = now.truncatedTo(ChronoUnit.HOURS);
        Instant day = now.truncatedTo(ChronoUnit.DAYS);
        Instant week = now.atZone(ZoneOffset.UTC).toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                .atStartOfDay(ZoneOffset.UTC).toInstant();
        Set<String> filled = new HashSet<>();
        for (Candidate snapshot : newestFirst) {
            Instant at = snapshot.completedAt();
            if (!at.isBefore(hour)) {
                kept.putIfAbsent(snapshot.id(), "exponential: the current hour");
                continue;
            }
            bucket(at, hour, 3600, 24, "hour", snapshot, filled, kept);
            bucket(at, day, 86_400, 7, "day", snapshot, filled, kept);
            bucket(at, week, 604_800, 4, "week", snapshot, filled, kept);
        }
    }

    private static void bucket(Instant at, Instant start, long seconds, int count, String unit, Candidate snapshot, Set<String> filled,
            Map<String, String> kept) {
        if (!at.isBefore(start)) {
            return;
        }
        long back = (Duration.between(at, start).toNanos() - 1) / (seconds * 1_000_000_000L) + 1;
        if (back <= count && filled.add(unit + back)) {
            kept.putIfAbsent(snapshot.id(), "exponential: the latest of the " + unit + " " + back + " " + unit + (back > 1 ? "s" : "") + " ago");
        }
    }

    private static String describe(List<RetentionSpec> specs) {
        List<String> rules = new ArrayList<>();
        for (RetentionSpec spec : specs) {
            if (spec == null) {
                continue;
            }
            if (spec.keepLast() != null) {
                rules.add("keepLast " + spec.keepLast());
            }
            if (spec.maxAge() != null) {
                rules.add("maxAge " + spec.maxAge());
            }
            if (Boolean.TRUE.equals(spec.exponential())) {
                rules.add("exponential");
            }
        }
        return String.join(", ", rules);
    }

    /** ISO-8601 ({@code P30D}, {@code PT12H}) or Go-like ({@code 720h}, {@code 1h30m}, {@code 7d}); null when unreadable. */
    public static Duration parseDuration(String text) {
        return Durations.read(text);
    }
}
