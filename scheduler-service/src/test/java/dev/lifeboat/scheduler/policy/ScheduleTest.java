package dev.lifeboat.scheduler.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class ScheduleTest {

    private static List<Instant> slots(Schedule schedule, Instant from, int count) {
        List<Instant> slots = new ArrayList<>();
        Instant at = from;
        for (int i = 0; i < count; i++) {
            at = schedule.next(at).orElseThrow();
            slots.add(at);
        }
        return slots;
    }

    @Test
    void dailyCronFollowsBerlinAcrossTheSpringAndAutumnChanges() {
        Schedule daily = Schedule.parse("0 3 * * *", "Europe/Berlin");
        // 2026-03-29: clocks go from 02:00 to 03:00 CET→CEST; 03:00 local exists and is 01:00Z.
        assertEquals(List.of(Instant.parse("2026-03-28T02:00:00Z"), Instant.parse("2026-03-29T01:00:00Z"),
                Instant.parse("2026-03-30T01:00:00Z")), slots(daily, Instant.parse("2026-03-27T12:00:00Z"), 3));
        // 2026-10-25: clocks go from 03:00 back to 02:00; 03:00 local happens once, at 02:00Z.
        assertEquals(List.of(Instant.parse("2026-10-24T01:00:00Z"), Instant.parse("2026-10-25T02:00:00Z"),
                Instant.parse("2026-10-26T02:00:00Z")), slots(daily, Instant.parse("2026-10-23T12:00:00Z"), 3));
    }

    @Test
    void aSlotInsideTheSkippedHourIsNotInventedTwice() {
        Schedule halfPastTwo = Schedule.parse("30 2 * * *", "Europe/Berlin");
        List<Instant> slots = slots(halfPastTwo, Instant.parse("2026-03-28T12:00:00Z"), 2);
        assertEquals(2, slots.stream().distinct().count(), slots.toString());
        assertTrue(slots.get(1).isAfter(Instant.parse("2026-03-29T12:00:00Z")), "the next real 02:30 is on the 30th: " + slots);
    }

    @Test
    void everyIsAlignedToTheEpochWhateverTheZone() {
        Schedule every = Schedule.parse("@every 5m", "America/New_York");
        assertEquals(Instant.parse("2026-11-22T10:05:00Z"), every.next(Instant.parse("2026-11-22T10:03:17Z")).orElseThrow());
        assertEquals(Instant.parse("2026-11-22T10:00:00Z"), every.latest(Instant.parse("2026-11-22T10:03:17Z")).orElseThrow());
        assertEquals(Duration.ofMinutes(90), Schedule.duration("1h30m", "x"));
    }

    @Test
    void descriptorsAreCron() {
        assertEquals(Instant.parse("2026-11-22T11:00:00Z"), Schedule.parse("@hourly", null).next(Instant.parse("2026-11-22T10:03:00Z")).orElseThrow());
        assertEquals(Instant.parse("2026-12-01T00:00:00Z"), Schedule.parse("@monthly", "UTC").next(Instant.parse("2026-11-22T10:03:00Z")).orElseThrow());
        assertEquals(Instant.parse("2026-11-22T10:00:00Z"), Schedule.parse("@hourly", null).latest(Instant.parse("2026-11-22T10:00:00Z")).orElseThrow());
    }

    @Test
    void badInputNamesTheProblem() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.parse("61 * * * *", "UTC")).getMessage()
                .startsWith("schedule '61 * * * *' is not a 5-field cron expression"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.parse("@often", "UTC")).getMessage()
                .contains("not a known descriptor"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Schedule.parse("@every soon", "UTC")).getMessage()
                .contains("not a duration"));
        assertEquals("timeZone 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Berlin)",
                assertThrows(IllegalArgumentException.class, () -> Schedule.parse("@daily", "Mars/Olympus")).getMessage());
    }
}
