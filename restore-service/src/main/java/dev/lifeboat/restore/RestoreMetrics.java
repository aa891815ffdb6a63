package dev.lifeboat.restore;

import java.time.Duration;
import java.time.Instant;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * restore-service's metrics: {@code lifeboat_restoration_duration_seconds{cluster,mode,succeeded,point_in_time}},
 * from the request to COMPLETED or FAILED — etcd-backup-restore's etcdbr_restoration_duration_seconds, per
 * cluster and mode.
 */
@ApplicationScoped
public class RestoreMetrics {

    private final MeterRegistry registry;

    public RestoreMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void ended(String cluster, String mode, boolean pointInTime, boolean succeeded, Instant requestedAt) {
        Timer.builder("lifeboat.restoration.duration").description("time from a restore's request to COMPLETED or FAILED")
                .tags("cluster", cluster, "mode", mode, "succeeded", Boolean.toString(succeeded), "point_in_time", Boolean.toString(pointInTime))
                .register(registry).record(Duration.between(requestedAt, Instant.now()));
    }
}
