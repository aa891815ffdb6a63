package dev.lifeboat.events;

import java.nio.file.Path;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one rule for every identifier that may become a path, an object key or a file name — cluster, restore,
 * snapshot, delta, chain and member ids: a DNS label (lower-case letters, digits and '-', 1 to 63 characters,
 * starting and ending with a letter or digit). No slash, no dot, nothing a path could climb out with. It is
 * checked where an id enters (REST bodies and parameters, event contracts) and again, by {@link #under}, where
 * it is turned into a path. Lifeboat's own ids ({@link #newId}) are 16 hex digits, which satisfy it.
 */
public final class Ids {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private Ids() {
    }

    /** A new id: 16 lower-case hex digits. */
    public static String newId() {
        return Long.toHexString(UUID.randomUUID().getMostSignificantBits() | Long.MIN_VALUE).substring(0, 16);
    }

    public static boolean valid(String id) {
        return id != null && LABEL.matcher(id).matches();
    }

    /**
     * An id made of others: {@code prefix} + the parts joined by '-' + {@code suffix} when that is a DNS label; when it is
     * too long, {@code prefix} + 16 hex digits of the SHA-256 of the parts joined by '/' (unambiguous: no id holds a slash)
     * + {@code suffix}. The same parts give the same id, so a derived id stays idempotent.
     */
    public static String derived(String prefix, String suffix, String... parts) {
        String plain = prefix + String.join("-", parts) + suffix;
        if (valid(plain)) {
            return plain;
        }
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(String.join("/", parts).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return require(prefix + java.util.HexFormat.of().formatHex(digest, 0, 8) + suffix, "derived id");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** An id that breaks the rule: a malformed event, or a 400 naming the field. */
    public static final class InvalidIdException extends IllegalArgumentException {

        private final String field;

        InvalidIdException(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** The id, when it follows the rule; otherwise an {@link InvalidIdException} naming the field (the value cut to 64 characters). */
    public static String require(String id, String field) {
        if (!valid(id)) {
            throw new InvalidIdException(field, field + " must be a DNS label (lower-case letters, digits and '-', 1 to 63, starting and "
                    + "ending with a letter or digit), not " + shown(id));
        }
        return id;
    }

    /** As {@link #require}, for an optional id: null passes. */
    public static String optional(String id, String field) {
        return id == null ? null : require(id, field);
    }

    /**
     * {@code root}/{@code name}, where the name is made of a valid id with an optional prefix and suffix
     * ({@code restore-<id>.json}): the id is checked again, and the normalised result must be a direct child of
     * the normalised root — so no id, however it got here, names a path outside its folder.
     */
    public static Path under(Path root, String prefix, String id, String suffix) {
        require(id, "id");
        Path base = root.toAbsolutePath().normalize();
        Path child = base.resolve(prefix + id + suffix).normalize();
        if (!base.equals(child.getParent())) {
            throw new InvalidIdException("id", "'" + prefix + id + suffix + "' does not name a file directly under " + base);
        }
        return child;
    }

    private static String shown(String value) {
        if (value == null) {
            return "nothing";
        }
        return "'" + (value.length() > 64 ? value.substring(0, 64) + "…" : value) + "'";
    }
}
