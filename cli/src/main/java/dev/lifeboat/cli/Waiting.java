package dev.lifeboat.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.function.Function;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;

import dev.lifeboat.events.Durations;

/** {@code --wait}: polls a view until it is done, printing a line each time its progress changes; bounded by {@code --timeout}. */
final class Waiting {

    private static final Duration POLL = Duration.ofMillis(500);

    private Waiting() {
    }

    /** {@code 90s}, {@code 30m}, {@code 1h30m}, {@code 7d} or ISO-8601 ({@code PT30M}): Lifeboat's one duration syntax. */
    static Duration duration(String text, String option) {
        try {
            return Durations.parse(text, option, Duration.ofSeconds(1), Durations.YEAR);
        } catch (IllegalArgumentException e) {
            throw new CliException(CliException.REFUSED, e.getMessage());
        }
    }

    /** The time before each progress line: always with seconds ({@code LocalTime}'s own text drops ":00"). */
    static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /**
     * Reads the view until {@code done} says so; prints each line of {@code progress} the first time it appears.
     * Returns the last view, or fails with exit code 4 after {@code timeout} naming {@code what}.
     */
    static JsonNode until(Supplier<JsonNode> read, Function<JsonNode, Boolean> done, Function<JsonNode, java.util.List<String>> progress,
            Duration timeout, String what, Output output) {
        Instant deadline = Instant.now().plus(timeout);
        java.util.Set<String> shown = new java.util.HashSet<>();
        while (true) {
            JsonNode view = read.get();
            for (String line : view == null ? java.util.List.<String>of() : progress.apply(view)) {
                if (shown.add(line)) {
                    output.say(CLOCK.format(LocalTime.now()) + "  " + line);
                }
            }
            if (view != null && done.apply(view)) {
                return view;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new CliException(CliException.TIMED_OUT, what + " did not end within " + timeout.toSeconds() + " s (--timeout); it may still be running");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(CliException.FAILED, "interrupted");
            }
        }
    }
}
