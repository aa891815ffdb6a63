package dev.lifeboat.snapshot.stream;

import java.net.InetAddress;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.snapshot.catalog.Catalog;
import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.access.store.ObjectStoreException;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Works through the catalog: claims pending snapshots (and ones whose claim lapsed because the
 * instance running them died), runs up to {@code max-concurrent} at once on worker threads — never on
 * an event loop — keeps their claims alive, and records each outcome with its event.
 */
@ApplicationScoped
public class SnapshotRunner {

    private final Catalog catalog;
    private final SnapshotTaker taker;
    private final SnapshotServiceConfig.Snapshots config;
    private final String owner;
    private final Semaphore slots;
    private ScheduledExecutorService scheduler;
    private ExecutorService workers;

    public SnapshotRunner(Catalog catalog, SnapshotTaker taker, SnapshotServiceConfig config) {
        this.catalog = catalog;
        this.taker = taker;
        this.config = config.snapshots();
        this.slots = new Semaphore(this.config.maxConcurrent());
        this.owner = hostName() + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    void onStart(@Observes StartupEvent event) {
        scheduler = Executors.newSingleThreadScheduledExecutor(named("snapshot-claims"));
        workers = Executors.newFixedThreadPool(config.maxConcurrent(), named("snapshot-worker"));
        scheduler.scheduleWithFixedDelay(this::claimWork, 0, config.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (scheduler != null) {
            scheduler.shutdownNow();
            workers.shutdownNow();
        }
    }

    private void claimWork() {
        try {
            while (slots.tryAcquire()) {
                Catalog.Claim claim = VertxContextSupport.subscribeAndAwait(
                        () -> catalog.claimNext(owner, config.claimDuration(), config.unknownClusterGrace()));
                if (claim == null) {
                    slots.release();
                    return;
                }
                workers.submit(() -> {
                    try {
                        run(claim);
                    } finally {
                        slots.release();
                    }
                });
            }
        } catch (Throwable e) {
            slots.release();
            Log.warnf("snapshot-service cannot claim work right now: %s", e.getMessage());
        }
    }

    private void run(Catalog.Claim claim) {
        ScheduledFuture<?> heartbeat = scheduler.scheduleWithFixedDelay(() -> extend(claim),
                config.claimDuration().toMillis() / 3, config.claimDuration().toMillis() / 3, TimeUnit.MILLISECONDS);
        try {
            if (claim.attempt() > 1) {
                taker.cleanUpAfterCrash(claim);
            }
            SnapshotCompleted completed = taker.take(claim, owner);
            await(() -> catalog.complete(claim.snapshotId(), owner, completed));
        } catch (Throwable e) {
            String reason = reason(claim, e);
            try {
                await(() -> catalog.fail(claim.snapshotId(), owner, reason));
            } catch (Throwable recordFailure) {
                Log.errorf("snapshot %s failed (%s) and the failure could not be recorded: %s", claim.snapshotId(), reason,
                        recordFailure.getMessage());
            }
        } finally {
            heartbeat.cancel(false);
        }
    }

    private void extend(Catalog.Claim claim) {
        try {
            await(() -> catalog.extend(claim.snapshotId(), owner, config.claimDuration()).replaceWithVoid());
        } catch (Throwable e) {
            Log.warnf("cannot extend the claim on snapshot %s: %s", claim.snapshotId(), e.getMessage());
        }
    }

    /** The failure as a person should read it; no stack trace, no secret. */
    static String reason(Catalog.Claim claim, Throwable e) {
        if (e instanceof SnapshotFormatException format) {
            return "the snapshot stream from etcd failed verification: " + format.getMessage();
        }
        if (e instanceof EtcdRejectedException || e instanceof EtcdUnavailableException || e instanceof ObjectStoreException) {
            return e.getMessage();
        }
        return "snapshot of cluster '" + claim.clusterId() + "' failed: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private interface Work {
        io.smallrye.mutiny.Uni<Void> run();
    }

    private static void await(Work work) throws Throwable {
        VertxContextSupport.subscribeAndAwait(work::run);
    }

    private static java.util.concurrent.ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            return "snapshot-service";
        }
    }
}
