package dev.lifeboat.events;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lifeboat's duration syntax, wherever a person writes one (schedules' {@code @every}, jitter, retention's
 * {@code maxAge}): Go-like {@code 90s}, {@code 5m}, {@code 1h30m}, {@code 7d}, {@code 500ms}, or ISO-8601
 * {@code PT30M}, {@code P30D}. Always read with bounds, so that no number can overflow or name a period of
 * thousands of years.
 */
public final class Durations {

    /** A year and a day: the longest schedule period Lifeboat takes. */
    public static final Duration YEAR = Duration.ofDays(366);

    private static final Pattern PART = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

    private Durations() {
    }

    /**
     * The duration {@code text} names, between {@code min} and {@code max}; otherwise an {@link IllegalArgumentException}
     * that names {@code what} and says which form or range is expected.
     */
    public static Duration parse(String text, String what, Duration min, Duration max) {
        Duration duration = read(text);
        if (duration == null) {
            throw new IllegalArgumentException(what + " '" + shown(text) + "' is not a duration like 30s, 5m, 1h30m or 7d");
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + " must be between " + text(min) + " and " + text(max) + ", not " + shown(text));
        }
        return duration;
    }

    /** The duration {@code text} names, or null when it names none (or one beyond a hundred years). */
    public static Duration read(String text) {
        if (text == null || text.isBlank() || text.length() > 64) {
            return null;
        }
        String trimmed = text.strip();
        try {
            if (trimmed.toUpperCase(Locale.ROOT).startsWith("P")) {
                return bounded(Duration.parse(trimmed.toUpperCase(Locale.ROOT)));
            }
            Matcher matcher = PART.matcher(trimmed);
            Duration total = Duration.ZERO;
            int end = 0;
            while (matcher.find() && matcher.start() == end) {
                long amount = Long.parseLong(matcher.group(1));
                total = total.plus(switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    case "h" -> Duration.ofHours(amount);
                    default -> Duration.ofDays(amount);
                });
                end = matcher.end();
            }
            return end == trimmed.length() && end > 0 ? bounded(total) : null;
        } catch (DateTimeParseException | ArithmeticException e) {
            return null;
        }
    }

    /** How Lifeboat writes a duration: {@code 1h30m}, {@code 366d}, {@code 1s}. */
    public static String text(Duration duration) {
        if (duration.toSeconds() % 86400 == 0 && duration.toSeconds() > 0) {
            return duration.toDays() + "d";
        }
        return duration.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    private static Duration bounded(Duration duration) {
        return duration.isNegative() || duration.compareTo(Duration.ofDays(36525)) > 0 ? null : duration;
    }

    private static String shown(String text) {
        return text == null ? "" : text.length() > 64 ? text.substring(0, 64) + "…" : text;
    }
}
