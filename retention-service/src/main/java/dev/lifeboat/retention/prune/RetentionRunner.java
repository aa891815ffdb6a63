package dev.lifeboat.retention.prune;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.retention.RetentionServiceConfig;
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
    private final Set<String> requested = ConcurrentHashMap.newKeySet();
    private ScheduledExecutorService worker;

    public RetentionRunner(Retention retention, RetentionServiceConfig config) {
        this.retention = retention;
        this.config = config;
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

    /** Asks for a run of one cluster after the settle time (several requests meanwhile make one run). */
    public void requestRun(String clusterId) {
        if (worker != null && requested.add(clusterId)) {
            worker.schedule(() -> {
                requested.remove(clusterId);
                runQuietly(clusterId);
            }, config.settle().toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void everyCluster() {
        try {
            retention.reconcileAll();
            retention.clusters().forEach(this::runQuietly);
        } catch (RuntimeException e) {
            Log.warnf("retention cannot run right now: %s", e.getMessage());
            if (!retention.viewComplete()) {
                worker.schedule(this::everyCluster, 10, TimeUnit.SECONDS);
            }
        }
    }

    private void runQuietly(String clusterId) {
        try {
            retention.run(clusterId, java.time.Duration.ZERO);
        } catch (Retention.ViewIncompleteException e) {
            Log.debugf("retention of %s waits for the first reconciliation", clusterId);
        } catch (RuntimeException e) {
            Log.warnf("retention of cluster %s failed: %s", clusterId, e.getMessage());
        }
    }
}
