package dev.lifeboat.retention.prune;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.events.runtime.Traces;
import dev.lifeboat.retention.RetentionServiceConfig;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
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
    /** Clusters with a run asked for, and the traces of the requests it serves (the SnapshotCompleted events that asked), in order. */
    private final Map<String, List<String>> requested = new ConcurrentHashMap<>();
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
     * Asks for a run of one cluster after the settle time; the requests that come meanwhile are served by the
     * same run. The run continues the trace of the first request and links to the trace of every other one
     * (OpenTelemetry span links), so each backup's trace leads to the retention run it caused.
     */
    public void requestRun(String clusterId) {
        if (worker == null) {
            return;
        }
        String trace = Traces.current();
        boolean[] first = new boolean[1];
        requested.compute(clusterId, (id, traces) -> {
            List<String> served = traces == null ? new ArrayList<>() : traces;
            first[0] = traces == null;
            served.add(trace == null ? "" : trace);
            return served;
        });
        if (first[0]) {
            worker.schedule(() -> runQuietly(clusterId, requested.remove(clusterId)), config.settle().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void everyCluster() {
        try {
            retention.reconcileAll();
            retention.clusters().forEach(cluster -> runQuietly(cluster, List.of()));
        } catch (RuntimeException e) {
            Log.warnf("retention cannot run right now: %s", e.getMessage());
            if (!retention.viewComplete()) {
                worker.schedule(this::everyCluster, 10, TimeUnit.SECONDS);
            }
        }
    }

    /** One run in a span: a child of the first request's trace, linked to the others'. */
    private void runQuietly(String clusterId, List<String> traceparents) {
        List<String> traces = traceparents.stream().filter(trace -> !trace.isEmpty()).distinct().toList();
        SpanBuilder builder = tracer.spanBuilder("retention " + clusterId).setParent(Traces.parent(traces.isEmpty() ? null : traces.get(0)))
                .setAttribute("lifeboat.cluster.id", clusterId).setAttribute("lifeboat.retention.requests", traceparents.size());
        traces.stream().skip(1).forEach(trace -> builder.addLink(Span.fromContext(Traces.parent(trace)).getSpanContext()));
        Span span = builder.startSpan();
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
