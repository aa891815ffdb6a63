package dev.lifeboat.events;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.lifeboat.events.work.Backoff;

class BackoffTest {

    private static final Duration MAX = Duration.ofSeconds(30);

    @Test
    void doublesUpToTheCeiling() {
        assertEquals(Duration.ofMillis(400), Backoff.doubled(Duration.ofMillis(200), MAX));
        assertEquals(Duration.ofSeconds(30), Backoff.doubled(Duration.ofSeconds(15), MAX));
        assertEquals(Duration.ofSeconds(30), Backoff.doubled(Duration.ofSeconds(20), MAX), "never beyond the ceiling");
        assertEquals(Duration.ofSeconds(30), Backoff.doubled(Duration.ofSeconds(30), MAX));
        assertEquals(Duration.ofSeconds(30), Backoff.doubled(Duration.ofSeconds(90), MAX), "a first wait above the ceiling is cut to it");
        assertEquals(Duration.ofMillis(1), Backoff.doubled(Duration.ZERO, MAX), "zero grows");
    }

    @Test
    void aLongWaitCannotOverflow() {
        Duration max = Duration.ofSeconds(Long.MAX_VALUE / 2 + 1);
        assertEquals(max, Backoff.doubled(max.minusSeconds(1), max));
    }
}
