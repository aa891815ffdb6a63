package dev.lifeboat.retention;

import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** What retention-service can be told, under {@code lifeboat.retention}. */
@ConfigMapping(prefix = "lifeboat.retention")
public interface RetentionServiceConfig {

    /** How often every cluster is reconciled with the bucket and pruned (besides after each completed snapshot). */
    @WithDefault("12h")
    Duration period();

    /** How long an object no catalog knows stays before it is deleted (it may belong to a snapshot being announced). */
    @WithDefault("24h")
    Duration orphanGrace();

    /** Key prefix of clusters that name none; must equal snapshot-service's {@code lifeboat.snapshots.prefix}. */
    @WithDefault("lifeboat")
    String defaultPrefix();

    /** Wait after a SnapshotCompleted before pruning its cluster, so that a burst of them makes one run. */
    @WithDefault("2s")
    Duration settle();
}
