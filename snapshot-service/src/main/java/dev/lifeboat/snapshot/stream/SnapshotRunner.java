package dev.lifeboat.snapshot.stream;

import java.util.List;
import dev.lifeboat.events.work.Backoff;
import dev.lifeboat.events.work.Failures;
import java.time.Duration;
import java.time.Instant;

import dev.lifeboat.etcdsnapshot.SnapshotFormatException;
import dev.lifeboat.events.runtime.Traces;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import dev.lifeboat.events.SnapshotCompleted;
import dev.lifeboat.events.work.ClaimedWork;
import dev.lifeboat.snapshot.SnapshotMetrics;
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
 * Works through the catalog: claims pending snapshots when woken (and, on the slow fallback poll, ones
 * whose claim lapsed because the instance running them died), runs up to {@code max-concurrent} at once on worker threads — never on
 * an event loop — keeps their claims alive, and records each outcome with its event.
 */
@ApplicationScoped
public class SnapshotRunner {

    private final Catalog catalog;
    private final SnapshotTaker taker;
    private final SnapshotServiceConfig.Snapshots config;
    private final String owner = ClaimedWork.ownerName("snapshot-service");
    private volatile ClaimedWork<Catalog.Claim> work;

    private final SnapshotMetrics metrics;

    private final Tracer tracer;

    public SnapshotRunner(Catalog catalog, SnapshotTaker taker, SnapshotServiceConfig config, SnapshotMetrics metrics, Tracer tracer) {
        this.tracer = tracer;
        this.catalog = catalog;
        this.taker = taker;
        this.config = config.snapshots();
        this.metrics = metrics;
    }

    void onStart(@Observes StartupEvent event) {
        work = ClaimedWork.start("snapshot", owner, config.maxConcurrent(), config.pollInterval(), config.claimDuration(),
                owner -> catalog.claimNext(owner, config.claimDuration(), config.unknownClusterGrace()),
                (claim, owner) -> catalog.extend(claim.snapshotId(), owner, config.claimDuration()), this::run);
    }

    /** A request was committed, or a cluster fact that may free waiting ones: look for work now. */
    public void wake() {
        if (work != null) {
            work.wake();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (work != null) {
            work.close();
        }
    }

    /**
     * Takes the claimed snapshot and records its outcome, in a span that continues the trace of the request
     * (stored with the catalog entry): its SnapshotStarted/Completed/Failed carry that trace on.
     */
    private void run(Catalog.Claim claim) {
        Span span = tracer.spanBuilder("snapshot " + claim.clusterId()).setParent(Traces.parent(claim.traceparent()))
                .setAttribute("lifeboat.cluster.id", claim.clusterId()).setAttribute("lifeboat.snapshot.id", claim.snapshotId())
                .setAttribute("lifeboat.request.id", claim.requestId()).setAttribute("lifeboat.snapshot.attempt", claim.attempt()).startSpan();
        try (Scope scope = span.makeCurrent()) {
            takeAndRecord(claim, span);
        } finally {
            span.end();
        }
    }

    private void takeAndRecord(Catalog.Claim claim, Span span) {
        try {
            if (claim.attempt() > 1) {
                taker.cleanUpAfterCrash(claim);
            }
            SnapshotCompleted completed = takeWaitingOutOutages(claim, span);
            ClaimedWork.await(() -> catalog.complete(claim.snapshotId(), owner, completed));
            metrics.completed(claim.clusterId(), "full", Duration.between(claim.startedAt(), completed.completedAt()), completed.rawSize(),
                    completed.storedSize());
            span.setAttribute("lifeboat.snapshot.revision", completed.revision()).setAttribute("lifeboat.snapshot.bytes", completed.rawSize())
                    .setAttribute("lifeboat.snapshot.stored_bytes", completed.storedSize());
        } catch (Exception e) {
            String reason = reason(claim, e);
            span.setStatus(StatusCode.ERROR, reason);
            metrics.failed(claim.clusterId(), "full", Duration.between(claim.startedAt(), Instant.now()), category(e));
            try {
                ClaimedWork.await(() -> catalog.fail(claim.snapshotId(), owner, reason));
            } catch (RuntimeException recordFailure) {
                Log.errorf("snapshot %s failed (%s) and the failure could not be recorded: %s", claim.snapshotId(), reason,
                        recordFailure.getMessage());
            }
        }
    }

    /**
     * Takes the snapshot; when etcd or S3 cannot be reached, tries again with back-off for up to {@code retry-for}
     * (each try starts over: a failed try aborted its upload, so nothing partial is left). Other failures, and an
     * outage longer than that, fail it.
     */
    private SnapshotCompleted takeWaitingOutOutages(Catalog.Claim claim, Span span) throws Exception {
        Instant giveUpAt = Instant.now().plus(config.retryFor());
        Duration backoff = Duration.ofSeconds(1);
        for (int attempt = 1;; attempt++) {
            try {
                return taker.take(claim, owner);
            } catch (RuntimeException e) {
                if (!unreachable(e) || Instant.now().plus(backoff).isAfter(giveUpAt)) {
                    if (attempt > 1) {
                        throw new ObjectStoreOrEtcdOutage(reason(claim, e) + " (tried " + attempt + " times over " + config.retryFor().toSeconds()
                                + " s)", e);
                    }
                    throw e;
                }
                Log.warnf("snapshot %s of cluster %s: %s; trying again in %d s", claim.snapshotId(), claim.clusterId(), reason(claim, e),
                        backoff.toSeconds());
                span.addEvent("retry after " + category(e) + " failure");
                Thread.sleep(backoff.toMillis());
                backoff = Backoff.doubled(backoff, Duration.ofSeconds(30));
            }
        }
    }

    /** A failure a later try may not meet: etcd unreachable, or S3 unreachable (a network error, not an S3 refusal). */
    static boolean unreachable(Throwable e) {
        if (e instanceof EtcdUnavailableException) {
            return true;
        }
        if (!(e instanceof ObjectStoreException)) {
            return false;
        }
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof java.io.IOException) {
                return true;
            }
        }
        return false;
    }

    /** A snapshot given up after retries: the last failure's reason with how long it was tried. */
    static final class ObjectStoreOrEtcdOutage extends RuntimeException {
        ObjectStoreOrEtcdOutage(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The kind of failure, for the failure metric: etcd-unavailable, etcd-rejected, s3, verification, other. */
    static String category(Throwable e) {
        if (e instanceof ObjectStoreOrEtcdOutage outage) {
            return category(outage.getCause());
        }
        if (e instanceof SnapshotFormatException) {
            return "verification";
        }
        if (e instanceof EtcdRejectedException) {
            return "etcd-rejected";
        }
        if (e instanceof EtcdUnavailableException) {
            return "etcd-unavailable";
        }
        return e instanceof ObjectStoreException ? "s3" : "other";
    }

    /** The failure as a person should read it; no stack trace, no secret. */
    static String reason(Catalog.Claim claim, Throwable e) {
        if (e instanceof ObjectStoreOrEtcdOutage outage) {
            return outage.getMessage();
        }
        if (e instanceof SnapshotFormatException format) {
            return "the snapshot stream from etcd failed verification: " + format.getMessage();
        }
        List<Class<? extends Throwable>> explained = List.of(EtcdRejectedException.class, EtcdUnavailableException.class,
                ObjectStoreException.class);
        String reason = Failures.reason(e, explained);
        return explained.stream().anyMatch(type -> type.isInstance(e)) ? reason : "snapshot of cluster '" + claim.clusterId() + "' failed: " + reason;
    }
}
