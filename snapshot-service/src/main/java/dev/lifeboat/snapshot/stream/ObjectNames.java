package dev.lifeboat.snapshot.stream;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.lifeboat.access.format.Compression;
import dev.lifeboat.access.format.ObjectLayout;
import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Where a cluster's objects go: its destination bucket (or {@code lifeboat.s3.bucket}) and
 * {@code <prefix>/<cluster>/} with {@code full/} and {@code delta/} under it; the names themselves are
 * {@link ObjectLayout}'s.
 */
@ApplicationScoped
public class ObjectNames {

    private final S3Config s3;
    private final String defaultPrefix;

    public ObjectNames(S3Config s3, SnapshotServiceConfig config) {
        this.s3 = s3;
        this.defaultPrefix = config.snapshots().prefix();
    }

    public String bucket(ClusterSpec spec) {
        return spec.destination() != null && spec.destination().bucket() != null ? spec.destination().bucket() : s3.bucket();
    }

    /** {@code <prefix>/<cluster>}, the root of the cluster's objects. */
    public String base(String clusterId, ClusterSpec spec) {
        String prefix = spec.destination() != null && spec.destination().prefix() != null ? spec.destination().prefix() : defaultPrefix;
        return prefix.isEmpty() ? clusterId : prefix + "/" + clusterId;
    }

    /**
     * The user metadata an object gets when its upload starts: what is known then. The facts known only at the end
     * are in its manifest.
     */
    public static Map<String, String> metadata(String clusterId, String snapshotId, String kind, Compression compression, String keyId) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("lifeboat-cluster", clusterId);
        metadata.put("lifeboat-snapshot-id", snapshotId);
        metadata.put("lifeboat-kind", kind);
        metadata.put("lifeboat-compression", compression.name().toLowerCase(java.util.Locale.ROOT));
        if (keyId != null) {
            metadata.put("lifeboat-encryption", ObjectLayout.ENCRYPTION);
            metadata.put("lifeboat-key-id", keyId);
        }
        return metadata;
    }
}
