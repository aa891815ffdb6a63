package dev.lifeboat.restore;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.events.work.WakeableLoop;
import dev.lifeboat.restore.drill.DrillRecord;
import dev.lifeboat.restore.drill.DrillState;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * restore-service's metrics: {@code lifeboat_restoration_duration_seconds{cluster,mode,succeeded,point_in_time}},
 * from the request to COMPLETED or FAILED — etcd-backup-restore's etcdbr_restoration_duration_seconds, per
 * cluster and mode — and the restore drills': {@code lifeboat_snapshot_last_verified_timestamp_seconds{cluster}} (from
 * the drills table, the same on every replica; 0 for a cluster never verified), {@code lifeboat_drill_duration_seconds{cluster,verdict}},
 * {@code lifeboat_drill_recovery_seconds{cluster}} (fetch + restore + start of a passed drill: the measured recovery
 * time), {@code lifeboat_drill_last_recovery_seconds{cluster}} (that of the newest passed drill, from the table) and
 * {@code lifeboat_drill_failures_total{cluster,stage}}.
 */
@ApplicationScoped
public class RestoreMetrics {

    /** Every registered cluster with its last passed drill; 0 for one never verified (so that the alert on it fires). */
    private static final String LAST_PASSED = """
            select c.id, coalesce(cast(extract(epoch from max(d.finished_at)) as bigint), 0)
            from cluster c left join drill d on d.cluster_id = c.id and d.state = 'PASSED'
            where not c.deleted group by c.id""";

    /** The recovery time (fetch + restore + start, ms) of each cluster's newest passed drill. */
    private static final String LAST_RECOVERY = """
            select distinct on (cluster_id) cluster_id, fetch_ms + restore_ms + start_ms from drill
            where state = 'PASSED' and fetch_ms is not null order by cluster_id, finished_at desc""";

    private final MeterRegistry registry;
    private final Map<String, AtomicLong> lastVerified = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> lastRecovery = new ConcurrentHashMap<>();
    private volatile WakeableLoop refreshes;

    public RestoreMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void ended(String cluster, String mode, boolean pointInTime, boolean succeeded, Instant requestedAt) {
        Timer.builder("lifeboat.restoration.duration").description("time from a restore's request to COMPLETED or FAILED")
                .tags("cluster", cluster, "mode", mode, "succeeded", Boolean.toString(succeeded), "point_in_time", Boolean.toString(pointInTime))
                .register(registry).record(Duration.between(requestedAt, Instant.now()));
    }

    /** A drill's verdict, recorded as it is stored. */
    /** A drill asked for over Kafka (a DRILL policy's slot, a runbook) that was refused; by the refusal's HTTP-like status. */
    public void drillRefused(int status) {
        registry.counter("lifeboat.drill.requests.refused", "status", Integer.toString(status)).increment();
    }

    public void drillEnded(DrillRecord drill) {
        boolean passed = drill.state == DrillState.PASSED;
        Timer.builder("lifeboat.drill.duration").description("time from a drill's request to its verdict")
                .tags("cluster", drill.clusterId, "verdict", passed ? "passed" : "failed").register(registry)
                .record(Duration.between(drill.createdAt, drill.finishedAt));
        if (!passed) {
            registry.counter("lifeboat.drill.failures", "cluster", drill.clusterId, "stage", drill.stage == null ? "unknown" : drill.stage).increment();
            return;
        }
        if (drill.recoveryMillis() != null) {
            Timer.builder("lifeboat.drill.recovery").description("fetch, restore and start of a drill that passed: how long bringing the cluster's "
                    + "snapshot back as a serving etcd took").tags("cluster", drill.clusterId).register(registry)
                    .record(Duration.ofMillis(drill.recoveryMillis()));
        }
        verified(drill.clusterId).accumulateAndGet(drill.finishedAt.getEpochSecond(), Math::max);
        if (drill.recoveryMillis() != null) {
            recovery(drill.clusterId).set(drill.recoveryMillis());
        }
    }

    private AtomicLong recovery(String cluster) {
        return lastRecovery.computeIfAbsent(cluster, key -> {
            AtomicLong millis = new AtomicLong();
            Gauge.builder("lifeboat.drill.last.recovery", millis, value -> value.get() / 1000.0).baseUnit("seconds")
                    .description("fetch, restore and start of the cluster's newest drill that passed: its measured recovery time").tags("cluster", key)
                    .register(registry);
            return millis;
        });
    }

    private AtomicLong verified(String cluster) {
        return lastVerified.computeIfAbsent(cluster, key -> {
            AtomicLong value = new AtomicLong();
            Gauge.builder("lifeboat.snapshot.last.verified.timestamp", value, AtomicLong::get).baseUnit("seconds")
                    .description("when a drill last proved a snapshot of the cluster restorable, seconds since the epoch").tags("cluster", key)
                    .register(registry);
            return value;
        });
    }

    /**
     * The last passed drill per registered cluster, from the drills table (so every replica, and one just started, reports
     * it); 0 for a cluster no drill has verified yet. At start and every 5 minutes: a drill this replica ends updates
     * them at once ({@link #drillEnded}); the refresh brings in other replicas' drills and new clusters.
     */
    void onStart(@Observes StartupEvent event) {
        refreshes = WakeableLoop.start("drill-metrics", Duration.ofSeconds(3), Duration.ofMinutes(5), this::refresh);
    }

    void onStop(@Observes ShutdownEvent event) {
        WakeableLoop.closeIfStarted(refreshes);
    }

    void refresh() {
        try {
            List<Object[]> rows = ClaimedWork.await(() -> Panache.withSession(() -> Panache.getSession()
                    .chain(session -> session.createNativeQuery(LAST_PASSED, Object[].class).getResultList())));
            for (Object[] row : rows) {
                verified((String) row[0]).accumulateAndGet(((Number) row[1]).longValue(), Math::max);
            }
            List<Object[]> recoveries = ClaimedWork.await(() -> Panache.withSession(() -> Panache.getSession()
                    .chain(session -> session.createNativeQuery(LAST_RECOVERY, Object[].class).getResultList())));
            for (Object[] row : recoveries) {
                recovery((String) row[0]).set(((Number) row[1]).longValue());
            }
        } catch (RuntimeException e) {
            Log.debugf("drill metrics not refreshed: %s", e.getMessage());
        }
    }
}
