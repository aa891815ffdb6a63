package dev.lifeboat.agent.member;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Which kept copies of a member's data go: by time, then the oldest while they are above the size limit. */
class PreRestoreCopiesTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Duration DAY = Duration.ofHours(24);
    private static final long MB = 1 << 20;

    @Test
    void copiesWhoseTimeIsUpGoAndTheRestStayWhenTheyFit() {
        PreRestoreCopies.Copy old = copy("r1", false, NOW.minus(Duration.ofHours(30)), NOW.minus(Duration.ofHours(25)), 100 * MB);
        PreRestoreCopies.Copy fresh = copy("r2", false, NOW.minus(Duration.ofHours(2)), NOW.minus(Duration.ofHours(1)), 100 * MB);
        PreRestoreCopies.Copy notCompleted = copy("r3", false, NOW.minus(Duration.ofHours(48)), null, 100 * MB);
        List<PreRestoreCopies.Release> due = PreRestoreCopies.due(List.of(fresh, old, notCompleted), NOW, DAY, 1000 * MB);
        assertEquals(List.of("r1"), due.stream().map(r -> r.copy().state().restoreId).toList(),
                "only the copy whose time ran out; a restore the saga never reported COMPLETED keeps its copy");
        assertEquals("kept PT24H after the restore completed", due.get(0).reason());
    }

    @Test
    void aboveTheLimitTheOldestGoFirstUntilTheRestFit() {
        PreRestoreCopies.Copy first = copy("r1", false, NOW.minus(Duration.ofHours(5)), NOW.minus(Duration.ofHours(5)), 300 * MB);
        PreRestoreCopies.Copy replaced = copy("r1", true, NOW.minus(Duration.ofHours(4)), NOW.minus(Duration.ofHours(4)), 300 * MB);
        PreRestoreCopies.Copy newest = copy("r2", false, NOW.minus(Duration.ofHours(1)), null, 300 * MB);
        List<PreRestoreCopies.Release> due = PreRestoreCopies.due(List.of(newest, replaced, first), NOW, DAY, 700 * MB);
        assertEquals(List.of(first), due.stream().map(PreRestoreCopies.Release::copy).toList(), "900 MB above 700 MB: the oldest goes");
        assertTrue(due.get(0).reason().contains("took " + 900 * MB + " bytes, above pre-restore-max-size (" + 700 * MB + " bytes)"),
                due.get(0).reason());

        due = PreRestoreCopies.due(List.of(newest, replaced, first), NOW, DAY, 200 * MB);
        assertEquals(List.of(first, replaced, newest), due.stream().map(PreRestoreCopies.Release::copy).toList(),
                "a copy larger than the limit on its own goes too");
    }

    private static PreRestoreCopies.Copy copy(String restoreId, boolean replaced, Instant since, Instant timeRunsFrom, long bytes) {
        RestoreState state = new RestoreState();
        state.restoreId = restoreId;
        return new PreRestoreCopies.Copy(state, replaced, Path.of("/data/etcd." + restoreId + (replaced ? ".replaced" : ".pre")), since,
                timeRunsFrom, bytes);
    }
}
