package dev.lifeboat.retention.prune;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.Traces;
import dev.lifeboat.retention.RetentionServiceConfig;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * When retention runs: the first reconciliation right after start (nothing is deleted before it
 * finished), then every {@code period} for every cluster, and for one cluster shortly after each of
 * its snapshots completed. One worker thread: runs never overlap within an instance; across replicas
 * a per-cluster lock keeps them apart.
 */
@ApplicationScoped
public class RetentionRunner {

    private final Retention retention;
    private final RetentionServiceConfig config;
    private final Tracer tracer;
    /** Clusters with a run asked for, and the trace of the first request (the SnapshotCompleted that asked). */
    private final Map<String, String> requested = new ConcurrentHashMap<>();
    private ScheduledExecutorService worker;

    public RetentionRunner(Retention retention, RetentionServiceConfig config, Tracer tracer) {
        this.retention = retention;
        this.config = config;
        this.tracer = tracer;
    }

    void onStart(@Observes StartupEvent event) {
        worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "retention");
            thread.setDaemon(true);
            return thread;
        });
        worker.scheduleWithFixedDelay(this::everyCluster, 0, config.period().toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (worker != null) {
            worker.shutdownNow();
        }
    }

    /**
     * Asks for a run of one cluster after the settle time (several requests meanwhile make one run); the run
     * continues the trace of the first request — a backup's trace ends with the retention run it caused.
     */
    public void requestRun(String clusterId) {
        String trace = Traces.current();
        if (worker != null && requested.putIfAbsent(clusterId, trace == null ? "" : trace) == null) {
            worker.schedule(() -> runQuietly(clusterId, requested.remove(clusterId)), config.settle().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void everyCluster() {
        try {
            retention.reconcileAll();
            retention.clusters().forEach(cluster -> runQuietly(cluster, null));
        } catch (RuntimeException e) {
            Log.warnf("retention cannot run right now: %s", e.getMessage());
            if (!retention.viewComplete()) {
                worker.schedule(this::everyCluster, 10, TimeUnit.SECONDS);
            }
        }
    }

    private void runQuietly(String clusterId, String traceparent) {
        Span span = tracer.spanBuilder("retention " + clusterId).setParent(Traces.parent(traceparent)).setAttribute("lifeboat.cluster.id", clusterId)
                .startSpan();
        try (Scope scope = span.makeCurrent()) {
            Retention.Outcome outcome = retention.run(clusterId, java.time.Duration.ZERO);
            span.setAttribute("lifeboat.retention.deleted", outcome.deleted().size()).setAttribute("lifeboat.retention.kept", outcome.kept());
        } catch (Retention.ViewIncompleteException e) {
            Log.debugf("retention of %s waits for the first reconciliation", clusterId);
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getMessage() == null ? e.toString() : e.getMessage());
            Log.warnf("retention of cluster %s failed: %s", clusterId, e.getMessage());
        } finally {
            span.end();
        }
    }
}
