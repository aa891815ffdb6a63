package dev.lifeboat.retention.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.retention.rules.RetentionRules.Candidate;
import dev.lifeboat.retention.rules.RetentionRules.Decision;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random histories (up to 120 snapshots over 60 days, random sizes, some held or pinned) against
 * random policies (up to three, each any mix of keepLast, maxAge, exponential, maxTotalSize): every
 * decision satisfies each rule and the safety rules, checked independently of how the rules compute it.
 */
class RetentionRulesPropertiesTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:17:00Z");

    record History(List<Candidate> snapshots, List<RetentionSpec> specs) {
    }

    @Provide
    Arbitrary<History> histories() {
        Arbitrary<Candidate> snapshot = Combinators.combine(
                Arbitraries.longs().between(0, Duration.ofDays(60).toSeconds()),
                Arbitraries.longs().between(1, 10_000),
                Arbitraries.of("", "", "", "", "", "", "", "", "on hold", "pinned by restore r1"),
                Arbitraries.strings().alpha().ofLength(12))
                .as((ago, size, protection, id) -> new Candidate(id, NOW.minusSeconds(ago), size, protection.isEmpty() ? null : protection));
        Arbitrary<RetentionSpec> spec = Combinators.combine(
                Arbitraries.integers().between(1, 30).injectNull(0.5),
                Arbitraries.longs().between(1_000, 200_000).injectNull(0.7),
                Arbitraries.of("1h", "24h", "72h", "P7D", "30d", "90m").injectNull(0.6),
                Arbitraries.of(true, false).injectNull(0.3))
                .as(RetentionSpec::new);
        return Combinators.combine(snapshot.list().ofMaxSize(120).uniqueElements(Candidate::id), spec.list().ofMaxSize(3))
                .as(History::new);
    }

    private static Map<String, Decision> decide(History history) {
        List<Decision> decisions = RetentionRules.decide(history.snapshots(), history.specs(), NOW);
        assertEquals(history.snapshots().size(), decisions.size(), "one decision per snapshot");
        return decisions.stream().collect(Collectors.toMap(d -> d.snapshot().id(), Function.identity()));
    }

    private static List<Candidate> newestFirst(History history) {
        List<Candidate> sorted = new ArrayList<>(history.snapshots());
        sorted.sort(Comparator.comparing(Candidate::completedAt).reversed().thenComparing(Candidate::id));
        return sorted;
    }

    @Property(tries = 400)
    void theNewestAndEveryProtectedSnapshotAreKept(@ForAll("histories") History history) {
        Map<String, Decision> decisions = decide(history);
        newestFirst(history).stream().findFirst().ifPresent(newest -> assertTrue(decisions.get(newest.id()).keep(), "newest kept"));
        history.snapshots().stream().filter(s -> s.protection() != null)
                .forEach(s -> assertTrue(decisions.get(s.id()).keep(), "protected kept: " + s));
    }

    @Property(tries = 400)
    void withoutASizeLimitEverySnapshotAKeepRuleKeepsSurvives(@ForAll("histories") History history) {
        if (history.specs().stream().anyMatch(s -> s.maxTotalSizeBytes() != null)) {
            return;
        }
        Map<String, Decision> decisions = decide(history);
        List<Candidate> sorted = newestFirst(history);
        boolean anyKeepRule = history.specs().stream().anyMatch(s -> s.keepLast() != null || s.maxAge() != null || Boolean.TRUE.equals(s.exponential()));
        for (Candidate snapshot : sorted) {
            boolean keptByARule = !anyKeepRule || history.specs().stream().anyMatch(spec -> keeps(spec, snapshot, sorted));
            boolean safe = snapshot == sorted.get(0) || snapshot.protection() != null;
            assertEquals(keptByARule || safe, decisions.get(snapshot.id()).keep(), "decision for " + snapshot + ": " + decisions.get(snapshot.id()));
        }
    }

    @Property(tries = 400)
    void theSizeLimitDeletesOnlyTheOldestAndOnlyWhenNeeded(@ForAll("histories") History history) {
        Optional<Long> limit = history.specs().stream().map(RetentionSpec::maxTotalSizeBytes).filter(l -> l != null).min(Long::compare);
        if (limit.isEmpty()) {
            return;
        }
        Map<String, Decision> decisions = decide(history);
        long keptTotal = 0;
        long safeTotal = 0;
        boolean deletedForSize = false;
        for (Candidate snapshot : newestFirst(history)) {
            Decision decision = decisions.get(snapshot.id());
            boolean safe = decision.keep() && (decision.rule().startsWith("the newest") || snapshot.protection() != null);
            if (decision.keep()) {
                keptTotal += snapshot.storedSize();
                if (safe) {
                    safeTotal += snapshot.storedSize();
                } else {
                    assertTrue(!deletedForSize, "once the limit is reached, older unprotected snapshots go: " + snapshot);
                }
            } else if (decision.rule().startsWith("over maxTotalSize")) {
                deletedForSize = true;
            }
        }
        assertTrue(keptTotal <= Math.max(limit.get(), safeTotal) || keptTotal - safeTotal <= limit.get(),
                "kept " + keptTotal + " bytes, limit " + limit.get() + ", protected " + safeTotal);
    }

    @Property(tries = 200)
    void keepLastKeepsExactlyTheNNewestWhenItIsTheOnlyRule(@ForAll("histories") History history) {
        int n = 1 + history.snapshots().size() % 7;
        List<Candidate> unprotected = history.snapshots().stream().map(s -> new Candidate(s.id(), s.completedAt(), s.storedSize(), null)).toList();
        List<Decision> decisions = RetentionRules.decide(unprotected, List.of(new RetentionSpec(n, null, null, null)), NOW);
        assertEquals(Math.min(n, unprotected.size()), decisions.stream().filter(Decision::keep).count(), "exactly " + n + ", not one more");
    }

    /** Each rule, written out again from its definition. */
    private static boolean keeps(RetentionSpec spec, Candidate snapshot, List<Candidate> newestFirst) {
        if (spec.keepLast() != null && newestFirst.indexOf(snapshot) < spec.keepLast()) {
            return true;
        }
        if (spec.maxAge() != null && snapshot.completedAt().isAfter(NOW.minus(RetentionRules.parseDuration(spec.maxAge())))) {
            return true;
        }
        return Boolean.TRUE.equals(spec.exponential()) && exponentiallyKept(snapshot, newestFirst);
    }

    private static boolean exponentiallyKept(Candidate snapshot, List<Candidate> newestFirst) {
        Instant hour = NOW.truncatedTo(ChronoUnit.HOURS);
        if (!snapshot.completedAt().isBefore(hour)) {
            return true;
        }
        Instant day = NOW.truncatedTo(ChronoUnit.DAYS);
        Instant week = NOW.atZone(ZoneOffset.UTC).toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY))
                .atStartOfDay(ZoneOffset.UTC).toInstant();
        return latestIn(snapshot, newestFirst, hour, Duration.ofHours(1), 24) || latestIn(snapshot, newestFirst, day, Duration.ofDays(1), 7)
                || latestIn(snapshot, newestFirst, week, Duration.ofDays(7), 4);
    }

    /** Whether the snapshot is the newest of its bucket [start - k·length, start - (k-1)·length), k ≤ count. */
    private static boolean latestIn(Candidate snapshot, List<Candidate> newestFirst, Instant start, Duration length, int count) {
        for (int k = 1; k <= count; k++) {
            Instant from = start.minus(length.multipliedBy(k));
            Instant to = start.minus(length.multipliedBy(k - 1));
            Optional<Candidate> latest = newestFirst.stream().filter(s -> !s.completedAt().isBefore(from) && s.completedAt().isBefore(to)).findFirst();
            if (latest.isPresent() && latest.get() == snapshot) {
                return true;
            }
        }
        return false;
    }
}
