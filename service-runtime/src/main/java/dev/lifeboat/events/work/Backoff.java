package dev.lifeboat.events.work;

import java.time.Duration;

/**
 * Lifeboat's one back-off rule, for every loop that retries something unavailable (the outbox relay's
 * publishing, delta capture's watch, the agent's etcd restarts): wait, then twice as long, up to a ceiling.
 */
public final class Backoff {

    private Backoff() {
    }

    /** The wait after {@code current}: twice as long, at most {@code max}. */
    public static Duration doubled(Duration current, Duration max) {
        if (current.isZero()) {
            return Duration.ofMillis(1).compareTo(max) < 0 ? Duration.ofMillis(1) : max;
        }
        return current.compareTo(max.dividedBy(2)) >= 0 ? max : current.multipliedBy(2);
    }
}
