package dev.lifeboat.access.format;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.lifeboat.events.EventCodec;
import dev.lifeboat.events.Ids;
import dev.lifeboat.events.SnapshotCompleted;

/**
 * The names of a cluster's objects and of the manifest beside each: the one place that knows them, for
 * snapshot-service (which writes both) and retention-service (which lists, checks and deletes both).
 *
 * <p>An object's name is known before its first byte: {@code <base>/full/<UTC time>-<snapshotId>[-<attempt>].db[.zst|.gz][.enc]}
 * (deltas: {@code <base>/delta/<UTC time>-<snapshotId>.delta[...]}), so the upload goes straight to it and nothing is
 * copied afterwards. The facts known only at the end (revision, sizes, SHA-256s, etcd version) go into
 * {@code <object name>.manifest.json}, written once the object is complete: a manifest is the mark of a complete
 * backup. Objects written before manifests existed carry the revision in their name
 * ({@code <time>-r<revision>-<id>...}) and the facts as user metadata; they stay readable and have no manifest.
 */
public final class ObjectLayout {

    /** What a manifest's name adds to its object's. */
    public static final String MANIFEST_SUFFIX = ".manifest.json";
    /** The {@code format} field of every manifest this version writes. */
    public static final String MANIFEST_FORMAT = "lifeboat-manifest/1";
    /** The encryption scheme {@link KeyRing} applies, as manifests and object metadata name it. */
    public static final String ENCRYPTION = "tink-aes256-gcm-hkdf-1mb";

    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    /** A name this layout gives: time, a Lifeboat id, the kind's suffix and the layers. Older names have {@code -r<rev>-}. */
    private static final Pattern WITH_MANIFEST = Pattern.compile("\\d{8}T\\d{6}Z-[0-9a-f]{16}(-[1-9][0-9]{0,8})?\\.(db|delta)(\\.zst|\\.gz)?(\\.enc)?");

    private ObjectLayout() {
    }

    /**
     * The object of a full snapshot that started at {@code startedAt}, written by its {@code attempt}-th attempt: a later
     * attempt (after a crash, or after another instance took over a lapsed claim) writes under its own name, so an
     * earlier one that is still running somewhere can never overwrite the object the catalog records.
     */
    public static String full(String base, Instant startedAt, String snapshotId, int attempt, Compression compression, String keyId) {
        return base + "/full/" + time(startedAt) + "-" + Ids.require(snapshotId, "snapshotId") + (attempt > 1 ? "-" + attempt : "")
                + StoredFormat.suffix(compression, keyId);
    }

    /** The object of a delta whose first change arrived at {@code openedAt}. */
    public static String delta(String base, Instant openedAt, String deltaId, Compression compression, String keyId) {
        return base + "/delta/" + time(openedAt) + "-" + Ids.require(deltaId, "deltaId") + StoredFormat.deltaSuffix(compression, keyId);
    }

    /** {@code yyyyMMdd'T'HHmmss'Z'} of a time, in UTC: names sort by time. */
    public static String time(Instant at) {
        return NAME_TIME.format(at.truncatedTo(ChronoUnit.SECONDS));
    }

    /** The manifest beside an object. */
    public static String manifestOf(String objectKey) {
        return objectKey + MANIFEST_SUFFIX;
    }

    public static boolean isManifest(String key) {
        return key.endsWith(MANIFEST_SUFFIX);
    }

    /** Whether Lifeboat wrote a manifest for this object: every object named by this layout, none named before it. */
    public static boolean hasManifest(String objectKey) {
        return WITH_MANIFEST.matcher(objectKey.substring(objectKey.lastIndexOf('/') + 1)).matches();
    }

    /**
     * A manifest's bytes: {@code format}, then every fact of the completion event (the same names as in
     * {@code SnapshotCompleted} and the REST API), the etcd cluster id the snapshot came from and, for an encrypted
     * object, the encryption scheme. Indented JSON, for a person restoring by hand as much as for a program.
     */
    public static byte[] manifest(SnapshotCompleted facts, String etcdClusterId) {
        ObjectNode manifest = EventCodec.json().createObjectNode();
        manifest.put("format", MANIFEST_FORMAT);
        manifest.setAll((ObjectNode) EventCodec.json().valueToTree(facts));
        if (etcdClusterId != null) {
            manifest.put("etcdClusterId", etcdClusterId);
        }
        if (facts.encryptionKeyId() != null) {
            manifest.put("encryption", ENCRYPTION);
        }
        try {
            return EventCodec.json().writer(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(manifest);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the manifest of snapshot " + facts.snapshotId() + ": " + e.getOriginalMessage(), e);
        }
    }
}
