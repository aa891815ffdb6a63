package dev.lifeboat.events.api;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Query parameters read as text and parsed here, so that a bad one is a 400 naming it (JAX-RS answers 404 when
 * it cannot convert a query parameter itself).
 */
public final class Params {

    private Params() {
    }

    /** A whole number between {@code min} and {@code max}; {@code fallback} when absent. */
    public static int integer(String name, String text, int min, int max, int fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text.strip());
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new InvalidRequestException(name, name + " must be a whole number between " + min + " and " + max + ", not '" + shown(text) + "'");
    }

    /** {@code true} or {@code false}; {@code fallback} when absent. */
    public static boolean bool(String name, String text, boolean fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidRequestException(name, name + " must be true or false, not '" + shown(text) + "'");
        };
    }

    /** An RFC 3339 time; {@code fallback} when absent. */
    public static Instant time(String name, String text, Instant fallback) {
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            return Instant.parse(text.strip());
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException(name, name + " must be an RFC 3339 time like 2026-11-22T10:00:00Z, not '" + shown(text) + "'");
        }
    }

    private static String shown(String text) {
        return text.length() > 64 ? text.substring(0, 64) + "…" : text;
    }
}
