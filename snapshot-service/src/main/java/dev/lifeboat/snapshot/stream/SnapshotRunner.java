package dev.lifeboat.snapshot.stream;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.snapshot.SnapshotServiceConfig;
import dev.lifeboat.snapshot.catalog.Catalog;
import dev.lifeboat.access.etcd.EtcdRejectedException;
import dev.lifeboat.access.etcd.EtcdUnavailableException;
import dev.lifeboat.access.store.ObjectStoreException;
import io.quarkus.logging.Log;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
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
    private final String owner = ClaimedWork.ownerName("snapshot-service");
    private ClaimedWork<Catalog.Claim> work;

    public SnapshotRunner(Catalog catalog, SnapshotTaker taker, SnapshotServiceConfig config) {
        this.catalog = catalog;
        this.taker = taker;
        this.config = config.snapshots();
    }

    void onStart(@Observes StartupEvent event) {
        work = ClaimedWork.start("snapshot", owner, config.maxConcurrent(), config.pollInterval(), config.claimDuration(),
                owner -> catalog.claimNext(owner, config.claimDuration(), config.unknownClusterGrace()),
                (claim, owner) -> catalog.extend(claim.snapshotId(), owner, config.claimDuration()), this::run);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (work != null) {
            work.close();
        }
    }

    private void run(Catalog.Claim claim) {
        try {
            if (claim.attempt() > 1) {
                taker.cleanUpAfterCrash(claim);
            }
            SnapshotCompleted completed = taker.take(claim, owner);
            ClaimedWork.await(() -> catalog.complete(claim.snapshotId(), owner, completed));
        } catch (Throwable e) {
            String reason = reason(claim, e);
            try {
                ClaimedWork.await(() -> catalog.fail(claim.snapshotId(), owner, reason));
            } catch (Throwable recordFailure) {
                Log.errorf("snapshot %s failed (%s) and the failure could not be recorded: %s", claim.snapshotId(), reason,
                        recordFailure.getMessage());
            }
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
}
