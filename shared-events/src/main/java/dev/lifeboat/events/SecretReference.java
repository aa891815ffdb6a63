package dev.lifeboat.events;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resolves a reference to a secret, as clusters carry them: {@code file:/path} (the file's content,
 * trailing newline removed) or {@code env:NAME} (an environment variable). Events, logs and errors only
 * ever show the reference, never the value.
 */
public final class SecretReference {

    private SecretReference() {
    }

    public static String resolve(String reference, String what) {
        if (reference == null || reference.isBlank()) {
            throw new IllegalArgumentException(what + " has no reference");
        }
        if (reference.startsWith("env:")) {
            String value = System.getenv(reference.substring(4));
            if (value == null) {
                throw new IllegalArgumentException(what + ": environment variable " + reference.substring(4) + " is not set");
            }
            return value;
        }
        Path file = Path.of(reference.startsWith("file:") ? reference.substring(5) : reference);
        try {
            return Files.readString(file, StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** A reference to a file (TLS material): {@code file:/path} or a plain path. */
    public static Path file(String reference) {
        return Path.of(reference.startsWith("file:") ? reference.substring(5) : reference);
    }
}
