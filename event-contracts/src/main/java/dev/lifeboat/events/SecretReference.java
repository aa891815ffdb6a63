package dev.lifeboat.events;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Resolves a reference to a secret, as clusters and the services' own configuration carry them: {@code
 * file:/path} (the file's content, trailing newline removed) or {@code env:NAME} (an environment variable).
 * Events, logs and errors only ever show the reference, never the value.
 * <p>
 * A cluster's references come from whoever registers it, so they obey {@link Rules}: an {@code env:} name with
 * the allowed prefix (default {@code LIFEBOAT_ETCD_}), a {@code file:} path under an allowed directory — never
 * the S3 key in the service's environment, nor any file the service can read. They are checked at registration
 * and again where they are resolved; neither answer says whether a file exists.
 */
public final class SecretReference {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private SecretReference() {
    }

    /**
     * Which references clusters may name.
     *
     * @param envPrefix       {@code env:} names must start with it
     * @param fileDirectories {@code file:} paths must lie under one of them (after normalisation)
     */
    public record Rules(String envPrefix, List<Path> fileDirectories) {

        public Rules {
            fileDirectories = fileDirectories.stream().map(dir -> dir.toAbsolutePath().normalize()).toList();
        }

        /** The reference when the rules allow it; otherwise an IllegalArgumentException naming {@code field} and what is allowed. */
        public String check(String reference, String field) {
            if (reference == null || reference.isBlank()) {
                throw new IllegalArgumentException(field + " has no reference");
            }
            if (reference.startsWith("env:")) {
                String name = reference.substring(4);
                if (!ENV_NAME.matcher(name).matches() || !name.startsWith(envPrefix)) {
                    throw new IllegalArgumentException(field + " must name an environment variable starting with " + envPrefix
                            + " (env:" + envPrefix + "…), or a file under " + directories());
                }
                return reference;
            }
            String path = reference.startsWith("file:") ? reference.substring(5) : reference;
            Path file;
            try {
                file = Path.of(path);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(field + " is not a file path");
            }
            Path normalized = file.normalize();
            if (!file.isAbsolute() || fileDirectories.stream().noneMatch(dir -> normalized.startsWith(dir) && !normalized.equals(dir))) {
                throw new IllegalArgumentException(field + " must name a file under " + directories() + " (file:/path), or an environment "
                        + "variable starting with " + envPrefix);
            }
            return reference;
        }

        private String directories() {
            return String.join(", ", fileDirectories.stream().map(Path::toString).toList());
        }
    }

    /**
     * A cluster's reference, resolved once the rules allowed it. A file that cannot be read gets the same answer
     * whether it is missing or unreadable.
     */
    public static String resolve(String reference, String what, Rules rules) {
        return resolve(rules.check(reference, what), what);
    }

    /** A reference of the service's own configuration (an operator wrote it), resolved. */
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
        Path file = file(reference);
        try {
            return Files.readString(file, StandardCharsets.UTF_8).stripTrailing();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(what + ": " + reference + " cannot be read");
        }
    }

    /** A reference to a file (TLS material) once the rules allowed it: {@code file:/path} or a plain path. */
    public static Path file(String reference, String what, Rules rules) {
        return file(rules.check(reference, what));
    }

    /** A reference to a file: {@code file:/path} or a plain path. */
    public static Path file(String reference) {
        return Path.of(reference.startsWith("file:") ? reference.substring(5) : reference);
    }
}
