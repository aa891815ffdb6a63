package dev.lifeboat.snapshot.stream;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

import dev.lifeboat.access.store.S3Config;
import dev.lifeboat.events.ClusterSpec;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Where a cluster's objects go: its destination bucket (or {@code lifeboat.s3.bucket}) and
 * {@code <prefix>/<cluster>/} with {@code full/}, {@code delta/} and {@code .staging/} under it; names
 * carry the UTC time, so a listing sorts by time.
 */
@ApplicationScoped
public class ObjectNames {

    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

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

    /** {@code yyyyMMdd'T'HHmmss'Z'} of a time, in UTC. */
    public static String time(Instant at) {
        return NAME_TIME.format(at.truncatedTo(ChronoUnit.SECONDS));
    }
}
