package dev.lifeboat.snapshot;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.lifeboat.events.work.WakeableLoop;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * snapshot-service's metrics, per cluster, named like Gardener's etcd-backup-restore ({@code etcdbr_*})
 * where they mean the same, so its dashboards port by renaming:
 * <ul>
 * <li>{@code lifeboat_snapshot_duration_seconds{cluster,kind,succeeded}} — etcdbr_snapshot_duration_seconds;</li>
 * <li>{@code lifeboat_snapshot_size_bytes{cluster,kind,layer=raw|stored}};</li>
 * <li>{@code lifeboat_snapshotter_failure_total{cluster,kind,reason}} — etcdbr_snapshotter_failure;</li>
 * <li>{@code lifeboat_snapshot_latest_timestamp{cluster,kind}} (seconds since the epoch) and
 * {@code lifeboat_snapshot_latest_revision{cluster,kind}} of the newest Completed snapshot — etcdbr_snapshot_latest_*;
 * read from the catalog every 15 s and right after this instance stored a snapshot, so every replica reports the same
 * and a restart loses nothing (after a restore without a revision bump the newest snapshot may have a lower revision
 * than an older one: the gauge shows the newest's);</li>
 * <li>delta capture: see {@code DeltaCapture} ({@code lifeboat_delta_lag_*}, {@code lifeboat_delta_gaps_total}).</li>
 * </ul>
 */
@ApplicationScoped
public class SnapshotMetrics {

    private static final String LATEST = """
            select distinct on (cluster_id, kind) cluster_id, kind, extract(epoch from completed_at) as at, revision
            from snapshot where phase = 'COMPLETED' order by cluster_id, kind, completed_at desc""";

    private final MeterRegistry registry;
    private final AgroalDataSource db;
    private final Map<String, AtomicLong[]> latest = new ConcurrentHashMap<>();
    private volatile WakeableLoop refreshes;

    public SnapshotMetrics(MeterRegistry registry, AgroalDataSource db) {
        this.registry = registry;
        this.db = db;
    }

    /** A snapshot was stored: its duration and sizes. */
    public void completed(String cluster, String kind, Duration took, long rawBytes, long storedBytes) {
        timer(cluster, kind, true).record(took);
        size(cluster, kind, "raw").record(rawBytes);
        size(cluster, kind, "stored").record(storedBytes);
        catalogChanged();
    }

    /** The catalog changed (a snapshot completed or was deleted, here or on another replica): the newest-snapshot gauges are read again. */
    public void catalogChanged() {
        WakeableLoop loop = refreshes;
        if (loop != null) {
            loop.wake();
        }
    }

    /** Delta capture of a cluster lost changes (a recorded gap). */
    public void gap(String cluster) {
        registry.counter("lifeboat.delta.gaps", "cluster", cluster).increment();
    }

    /**
     * Lag gauges of a cluster's delta capture while this instance runs it: how many revisions etcd is ahead of
     * what the capture received, and for how long the capture has been behind. Removed with {@link #unwatch}.
     */
    public void watch(String cluster, java.util.function.Supplier<dev.lifeboat.snapshot.delta.CaptureStatus> status) {
        Gauge.builder("lifeboat.delta.lag.revisions", () -> {
            var now = status.get();
            return Math.max(0, now.etcdRevision() - now.receivedRevision());
        }).description("revisions etcd is ahead of the delta capture").tag("cluster", cluster).register(registry);
        Gauge.builder("lifeboat.delta.lag.seconds", () -> {
            var now = status.get();
            if (now.etcdRevision() <= now.receivedRevision() || now.lastReceivedAt() == null) {
                return 0;
            }
            return Duration.between(now.lastReceivedAt(), java.time.Instant.now()).toMillis() / 1000.0;
        }).baseUnit("seconds").description("how long the delta capture has been behind etcd").tag("cluster", cluster).register(registry);
    }

    public void unwatch(String cluster) {
        for (String name : new String[] {"lifeboat.delta.lag.revisions", "lifeboat.delta.lag.seconds"}) {
            var gauge = registry.find(name).tag("cluster", cluster).gauge();
            if (gauge != null) {
                registry.remove(gauge);
            }
        }
    }

    /** A snapshot failed: its duration and why, as a short category. */
    public void failed(String cluster, String kind, Duration took, String reason) {
        timer(cluster, kind, false).record(took);
        registry.counter("lifeboat.snapshotter.failure", "cluster", cluster, "kind", kind, "reason", reason).increment();
    }

    private Timer timer(String cluster, String kind, boolean succeeded) {
        return Timer.builder("lifeboat.snapshot.duration").description("time to take a snapshot, from its start to stored or failed")
                .tags("cluster", cluster, "kind", kind, "succeeded", Boolean.toString(succeeded)).register(registry);
    }

    private DistributionSummary size(String cluster, String kind, String layer) {
        return DistributionSummary.builder("lifeboat.snapshot.size").baseUnit("bytes").description("bytes of a stored snapshot: plain (raw) and as stored")
                .tags("cluster", cluster, "kind", kind, "layer", layer).register(registry);
    }

    /**
     * The newest Completed snapshot per cluster and kind, from the catalog: at start, after every change of the catalog
     * ({@link #catalogChanged()}), and every 5 minutes in case a change went unseen — not at a fixed rate while nothing
     * changes (an idle service sleeps).
     */
    void onStart(@Observes StartupEvent event) {
        refreshes = WakeableLoop.start("snapshot-metrics", Duration.ofSeconds(2), Duration.ofMinutes(5), this::refresh);
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(refreshes);
    }

    void refresh() {
        try (Connection connection = db.getConnection(); PreparedStatement query = connection.prepareStatement(LATEST);
                ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                String cluster = rows.getString("cluster_id");
                String kind = rows.getString("kind").toLowerCase(java.util.Locale.ROOT);
                AtomicLong[] values = latest.computeIfAbsent(cluster + "/" + kind, key -> register(cluster, kind));
                values[0].set(rows.getLong("at"));
                values[1].set(rows.getLong("revision"));
            }
        } catch (Exception e) {
            Log.debugf("snapshot metrics not refreshed: %s", e.getMessage());
        }
    }

    private AtomicLong[] register(String cluster, String kind) {
        AtomicLong[] values = {new AtomicLong(), new AtomicLong()};
        Gauge.builder("lifeboat.snapshot.latest.timestamp", values[0], AtomicLong::get)
                .description("when the newest Completed snapshot completed, seconds since the epoch").tags("cluster", cluster, "kind", kind)
                .register(registry);
        Gauge.builder("lifeboat.snapshot.latest.revision", values[1], AtomicLong::get).description("revision of the newest Completed snapshot")
                .tags("cluster", cluster, "kind", kind).register(registry);
        return values;
    }
}
