package dev.lifeboat.scheduler.timeline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.lifeboat.events.DrillEnded;
import dev.lifeboat.events.DrillRequested;
import dev.lifeboat.events.RunDrill;

/** The timeline's one-line summaries of drills, of a snapshot alone and to a point in time. */
class SummariesTest {

    private static final Instant NOW = Instant.parse("2026-12-06T08:00:00Z");

    @Test
    void drillsSayWhatIsDrilledAndWhetherDeltasAreReplayed() {
        assertEquals("drill d1 of the newest full snapshot asked for by policy nightly",
                Summaries.of(new DrillRequested("d1", "prod", null, "policy nightly", NOW)));
        assertEquals("drill d3 of the oldest full snapshot not drilled yet asked for by policy each-full",
                Summaries.of(new DrillRequested("d3", "prod", DrillRequested.UNDRILLED, "policy each-full", NOW)));
        assertEquals("drill d2 of the deltas up to revision 900 asked for by runbook",
                Summaries.of(new DrillRequested("d2", "prod", null, "runbook", NOW, 900L)));
        assertEquals("member etcd-0 told to drill a restore of snapshot s1 + 2 deltas up to revision 880",
                Summaries.of(new RunDrill("d2", "prod", "etcd-0", "s1", 880, "ab", -1, null, NOW, List.of("x1", "x2"))));
        assertEquals("member etcd-0 told to drill a restore of snapshot s1",
                Summaries.of(new RunDrill("d1", "prod", "etcd-0", "s1", 500, "ab", -1, null, NOW)));
        assertEquals("drill d2 of snapshot s1 + 2 deltas FAILED at replay: delta x2 cannot be read",
                Summaries.of(new DrillEnded("d2", "prod", "s1", false, "replay", "delta x2 cannot be read", null, NOW, List.of("x1", "x2"))));
        assertEquals("drill d1 of snapshot s1 PASSED: the snapshot is proven restorable (recovery 3500 ms)",
                Summaries.of(new DrillEnded("d1", "prod", "s1", true, null, null, 3500L, NOW)));
    }
}
