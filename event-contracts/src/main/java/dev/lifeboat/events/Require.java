package dev.lifeboat.events;

import java.util.List;

/**
 * Checks for event contracts: a record that breaks one is malformed, and the message names the field.
 */
public final class Require {

    private Require() {
    }

    public static String text(String value, String field) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return value;
    }

    public static <T> T present(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("missing field " + field);
        }
        return value;
    }

    /**
     * A text of at most {@code max} characters (null passes): events are bounded, so that one that was accepted can
     * always be published (Kafka refuses records over a megabyte) and shown.
     */
    public static String atMost(String value, int max, String field) {
        if (value != null && value.length() > max) {
            throw new IllegalArgumentException(field + " is longer than " + max + " characters");
        }
        return value;
    }

    public static <T> List<T> list(List<T> value) {
        return value == null ? List.of() : List.copyOf(value);
    }
}
