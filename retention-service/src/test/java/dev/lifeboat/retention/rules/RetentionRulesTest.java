package dev.lifeboat.retention.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lifeboat.events.RetentionSpec;
import dev.lifeboat.retention.rules.RetentionRules.Candidate;
import dev.lifeboat.retention.rules.RetentionRules.Decision;

class RetentionRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-22T10:17:00Z");

    private static List<Candidate> hourly(int count) {
        List<Candidate> snapshots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            snapshots.add(new Candidate("s" + i, NOW.minus(Duration.ofHours(i)), 100, null));
        }
        return snapshots;
    }

    private static List<String> kept(List<Decision> decisions) {
        return decisions.stream().filter(Decision::keep).map(d -> d.snapshot().id()).toList();
    }

    @Test
    void keepLastThreeKeepsThreeNotFour() {
        assertEquals(List.of("s0", "s1", "s2"), kept(RetentionRules.decide(hourly(10), List.of(new RetentionSpec(3, null, null, null)), NOW)));
    }

    @Test
    void aTinyMaxAgeStillKeepsTheNewest() {
        List<Decision> decisions = RetentionRules.decide(hourly(5).subList(1, 5), List.of(new RetentionSpec(null, null, "1s", null)), NOW);
        assertEquals(List.of("s1"), kept(decisions));
        assertEquals("the newest snapshot is never deleted", decisions.get(0).rule());
    }

    @Test
    void theNewestVerifiedSnapshotIsKeptBesideTheNewest() {
        List<Candidate> snapshots = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            // s3 and s5 were proven restorable by drills; s3 is the newer of them
            Instant verified = i == 3 || i == 5 ? NOW.minus(Duration.ofMinutes(i)) : null;
            snapshots.add(new Candidate("s" + i, NOW.minus(Duration.ofHours(i)), 100, null, verified));
        }
        List<Decision> decisions = RetentionRules.decide(snapshots, List.of(new RetentionSpec(1, null, null, null)), NOW);
        assertEquals(List.of("s0", "s3"), kept(decisions), "keepLast 1 keeps the newest; the newest verified one stays too");
        assertEquals("the newest snapshot a restore drill proved restorable is never deleted",
                decisions.stream().filter(d -> d.snapshot().id().equals("s3")).findFirst().orElseThrow().rule());
    }

    @Test
    void exponentialKeepsTheCurrentHourThenOnePerHourDayAndWeek() {
        List<Candidate> snapshots = new ArrayList<>();
        for (int i = 0; i < 60 * 24 * 40; i += 20) { // every 20 minutes for 40 days
            snapshots.add(new Candidate(String.format("m%06d", i), NOW.minus(Duration.ofMinutes(i)), 1, null));
        }
        List<String> kept = kept(RetentionRules.decide(snapshots, List.of(new RetentionSpec(null, null, null, true)), NOW));
        // NOW is Sunday 10:17: this hour holds 10:17 only; 24 hourly (the latest of each, at :57); the latest of
        // each of 7 days (23:57; yesterday's is also hour 11's); of each of 4 weeks (Sunday 23:57; the first is also day 7's)
        assertEquals(1 + 24 + 6 + 3, kept.size(), "kept: " + kept);
        assertEquals("m000000", kept.get(0));
        assertTrue(kept.contains("m000620"), "yesterday 23:57");
        assertTrue(kept.contains("m019340"), "the Sunday two weeks back, 23:57");
        assertTrue(!kept.contains("m000640"), "yesterday 23:37 is not the latest of its hour");
    }

    @Test
    void theSizeLimitDeletesOldestFirst() {
        List<Decision> decisions = RetentionRules.decide(hourly(6), List.of(new RetentionSpec(6, 350L, null, null)), NOW);
        assertEquals(List.of("s0", "s1", "s2"), kept(decisions));
        assertEquals("over maxTotalSize 350 bytes", decisions.get(3).rule());
    }

    @Test
    void heldAndPinnedSnapshotsSurviveEveryRule() {
        List<Candidate> snapshots = new ArrayList<>(hourly(4));
        snapshots.set(3, new Candidate("s3", snapshots.get(3).completedAt(), 100, "on hold"));
        assertEquals(List.of("s0", "s3"), kept(RetentionRules.decide(snapshots, List.of(new RetentionSpec(1, null, null, null)), NOW)));
    }

    @Test
    void durationsReadIsoAndGoForms() {
        assertEquals(Duration.ofHours(720), RetentionRules.parseDuration("720h"));
        assertEquals(Duration.ofMinutes(90), RetentionRules.parseDuration("1h30m"));
        assertEquals(Duration.ofDays(7), RetentionRules.parseDuration("7d"));
        assertEquals(Duration.ofDays(30), RetentionRules.parseDuration("P30D"));
        assertNull(RetentionRules.parseDuration("soon"));
    }
}
