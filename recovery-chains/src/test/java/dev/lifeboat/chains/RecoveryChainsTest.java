package dev.lifeboat.chains;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.lifeboat.chains.RecoveryChains.Delta;
import dev.lifeboat.chains.RecoveryChains.Full;
import dev.lifeboat.chains.RecoveryChains.Plan;

/**
 * Worked examples: chain c1 starts from f1 (revision 100) with deltas d1 (101–150) and d2 (151–200);
 * f2 (revision 170) completed while c1 captured. Capture was then interrupted (a gap); chain c2 starts
 * from f3 (revision 260) with d3 (261–300).
 */
class RecoveryChainsTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static Instant at(int minutes) {
        return T0.plusSeconds(60L * minutes);
    }

    private static final Full F1 = new Full("f1", 100, at(0), at(1), null);
    private static final Full F2 = new Full("f2", 170, at(14), at(15), "c1");
    private static final Full F3 = new Full("f3", 260, at(40), at(41), null);
    private static final Delta D1 = new Delta("d1", "c1", "f1", 101, 150, at(2), at(9), at(10));
    private static final Delta D2 = new Delta("d2", "c1", "f1", 151, 200, at(11), at(19), at(20));
    private static final Delta D3 = new Delta("d3", "c2", "f3", 261, 300, at(42), at(49), at(50));
    private static final List<Full> FULLS = List.of(F1, F2, F3);
    private static final List<Delta> DELTAS = List.of(D2, D1, D3);

    private static List<String> ids(Plan plan) {
        return plan.deltas().stream().map(Delta::id).toList();
    }

    @Test
    void aRevisionIsReachedFromTheNewestUsableFullBeforeIt() {
        Plan plan = RecoveryChains.forRevision(FULLS, DELTAS, 160);
        assertEquals("f1", plan.full().id());
        assertEquals(List.of("d1", "d2"), ids(plan));
        assertEquals(160L, plan.toRevision());
        assertEquals("c1", plan.chainId());

        Plan later = RecoveryChains.forRevision(FULLS, DELTAS, 180);
        assertEquals("f2", later.full().id());
        assertEquals(List.of("d2"), ids(later));

        assertEquals(List.of(), ids(RecoveryChains.forRevision(FULLS, DELTAS, 170)), "f2 holds revision 170 itself");
        assertEquals(List.of("d1"), ids(RecoveryChains.forRevision(FULLS, DELTAS, 150)));
        assertEquals(List.of("d3"), ids(RecoveryChains.forRevision(FULLS, DELTAS, 300)));
        assertEquals("f3", RecoveryChains.forRevision(FULLS, DELTAS, 260).full().id());
    }

    @Test
    void aRevisionInTheGapOrOutsideCoverageIsRefusedSayingWhereCoverageIs() {
        RecoveryChains.NotCoveredException gap = assertThrows(RecoveryChains.NotCoveredException.class,
                () -> RecoveryChains.forRevision(FULLS, DELTAS, 230));
        assertTrue(gap.getMessage().contains("revision 230 cannot be restored"), gap.getMessage());
        assertTrue(gap.getMessage().contains("revisions 260–300; revisions 100–200"), gap.getMessage());
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forRevision(FULLS, DELTAS, 301));
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forRevision(FULLS, DELTAS, 99));
        assertTrue(assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forRevision(List.of(), List.of(), 5))
                .getMessage().contains("no completed full snapshot"));
    }

    @Test
    void aMissingDeltaSplitsTheChainAndNothingIsBridged() {
        List<Delta> withoutD1 = List.of(D2, D3);
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forRevision(FULLS, withoutD1, 140));
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forRevision(FULLS, withoutD1, 160),
                "f1 cannot reach 160 without d1, and f2 is after it");
        assertEquals("f2", RecoveryChains.forRevision(FULLS, withoutD1, 190).full().id());
    }

    @Test
    void afterAReplaceRestoreTheNewestHistoryWinsForARevisionCountedTwice() {
        Full f4 = new Full("f4", 150, at(60), at(61), null);
        Delta d4 = new Delta("d4", "c3", "f4", 151, 190, at(62), at(69), at(70));
        Plan plan = RecoveryChains.forRevision(List.of(F1, F2, F3, f4), List.of(D1, D2, D3, d4), 160);
        assertEquals("f4", plan.full().id());
        assertEquals(List.of("d4"), ids(plan));
        assertEquals("c3", plan.chainId());
    }

    @Test
    void aTimeIsReachedFromTheNewestFullCompletedBeforeIt() {
        Plan plan = RecoveryChains.forTime(FULLS, DELTAS, at(12));
        assertEquals("f1", plan.full().id());
        assertEquals(List.of("d1", "d2"), ids(plan));
        assertNull(plan.toRevision());
        assertEquals(at(12), plan.toTime());

        Plan later = RecoveryChains.forTime(FULLS, DELTAS, at(16));
        assertEquals("f2", later.full().id());
        assertEquals(List.of("d2"), ids(later));

        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forTime(FULLS, DELTAS, at(30)), "in the gap");
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forTime(FULLS, DELTAS, at(51)), "after coverage");
        assertThrows(RecoveryChains.NotCoveredException.class, () -> RecoveryChains.forTime(FULLS, DELTAS, at(0)), "before f1 completed");
    }

    @Test
    void windowsListEveryRestorableRangeNewestFirst() {
        Full lone = new Full("f0", 40, at(-60), at(-59), null);
        List<RecoveryChains.Window> windows = RecoveryChains.windows(List.of(lone, F1, F2, F3), DELTAS);
        assertEquals(3, windows.size());
        assertEquals(new RecoveryChains.Window("c2", 260, 300, at(41), at(50), List.of("f3"), 1), windows.get(0));
        assertEquals(new RecoveryChains.Window("c1", 100, 200, at(1), at(20), List.of("f1", "f2"), 2), windows.get(1));
        assertEquals(new RecoveryChains.Window(null, 40, 40, at(-59), at(-59), List.of("f0"), 0), windows.get(2));
    }

    @Test
    void deltasGoOnlyWithTheFullSnapshotsTheyExtend() {
        assertEquals(Set.of("d1"), RecoveryChains.unneededDeltas(List.of(F2, F3), DELTAS));
        assertEquals(Set.of(), RecoveryChains.unneededDeltas(List.of(F1, F2, F3), DELTAS));
        assertEquals(Set.of("d1", "d2"), RecoveryChains.unneededDeltas(List.of(F3), DELTAS));
        assertEquals(Set.of("d1", "d2", "d3"), RecoveryChains.unneededDeltas(List.of(), DELTAS));
    }
}
