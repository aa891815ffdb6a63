package dev.lifeboat.events.work;

import java.net.InetAddress;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.quarkus.logging.Log;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

/**
 * The claim-and-run loop of a service whose work items are database rows with a claim (an owner and a
 * claimed-until time): it claims items while it has free slots, runs each on a worker thread (never an
 * event loop), and renews the item's claim every third of the claim duration while it runs. An instance
 * that dies stops renewing; another instance claims the item once the claim lapsed and continues it.
 * What an item's run does, records and reports is the service's.
 * <p>
 * It looks for work when it is told there is some: {@link #wake()} after the transaction that made an
 * item claimable committed (a consumed request, a REST call), and by itself when a run ends (a slot came
 * free; the run may have left more to do). Only what nobody in this instance announces — a claim lapsed
 * by an instance that stopped, an item waiting for a fact with a deadline — is found by the slow fallback
 * poll. An idle service therefore does not query its database several times a second.
 *
 * @param <T> what a claim returns: the item, or what the run needs of it
 */
public final class ClaimedWork<T> implements AutoCloseable {

    /** Claims the next item for {@code owner} in its own transaction; null when there is none. */
    public interface Claimer<T> {
        Uni<T> claimNext(String owner);
    }

    /** Renews the claim of {@code owner} on the item. */
    public interface Extender<T> {
        Uni<?> extend(T item, String owner);
    }

    /** Runs one claimed item to its end; records its outcome itself. */
    public interface Runner<T> {
        void run(T item) throws Exception;
    }

    private final String name;
    private final String owner;
    private final Duration claimDuration;
    private final Semaphore slots;
    private final Claimer<T> claimer;
    private final Extender<T> extender;
    private final Runner<T> runner;
    private final ScheduledExecutorService heartbeats;
    private final ExecutorService workers;
    private volatile WakeableLoop claims;

    private ClaimedWork(String name, String owner, int slots, Duration claimDuration, Claimer<T> claimer, Extender<T> extender,
            Runner<T> runner) {
        this.name = name;
        this.owner = owner;
        this.claimDuration = claimDuration;
        this.slots = new Semaphore(slots);
        this.claimer = claimer;
        this.extender = extender;
        this.runner = runner;
        this.heartbeats = Executors.newScheduledThreadPool(1, named(name + "-heartbeats"));
        this.workers = Executors.newFixedThreadPool(slots, named(name + "-worker"));
    }

    /**
     * Starts: looks for work at once, then when {@linkplain #wake() woken} and every {@code fallbackPoll};
     * up to {@code slots} items at once, claims held by {@code owner} (see {@link #ownerName}) for
     * {@code claimDuration} and renewed while an item runs.
     */
    public static <T> ClaimedWork<T> start(String name, String owner, int slots, Duration fallbackPoll, Duration claimDuration,
            Claimer<T> claimer, Extender<T> extender, Runner<T> runner) {
        ClaimedWork<T> work = new ClaimedWork<>(name, owner, slots, claimDuration, claimer, extender, runner);
        work.claims = WakeableLoop.start(name + "-claims", Duration.ZERO, fallbackPoll, work::claim);
        return work;
    }

    /**
     * There may be work: looks for it soon, on the claim thread (never the caller's). Call it after the
     * transaction that made an item claimable committed; before, the claim would not see the item yet.
     */
    public void wake() {
        WakeableLoop loop = claims; // null only while start() is still handing it over; its first look runs anyway
        if (loop != null) {
            loop.wake();
        }
    }

    /** An owner name unique to this instance: host name and a random suffix. */
    public static String ownerName(String service) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = service;
        }
        return host + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    /**
     * Runs a reactive database step from a worker thread and waits for its result: the one way a job (a
     * plain sequence of steps on its own thread) uses the service's repositories, whose methods return
     * {@code Uni} for the reactive edges (REST, Kafka). The caller's trace context stays current while the
     * step runs on its Vert.x context, so events the step emits through the outbox continue the caller's
     * trace. A failure is rethrown as it is when unchecked, wrapped in a {@link StepFailedException} otherwise.
     */
    public static <R> R await(Supplier<Uni<R>> work) {
        Context trace = Context.current();
        try {
            return VertxContextSupport.subscribeAndAwait(() -> {
                Scope scope = trace.makeCurrent();
                return work.get().onTermination().invoke(scope::close);
            });
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new StepFailedException(e);
        }
    }

    /** A database step failed with a checked exception; its message is the cause's. */
    public static final class StepFailedException extends RuntimeException {
        StepFailedException(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    private void claim() {
        try {
            while (slots.tryAcquire()) {
                T item = await(() -> claimer.claimNext(owner));
                if (item == null) {
                    slots.release();
                    return;
                }
                workers.submit(() -> {
                    try {
                        runClaimed(item);
                    } finally {
                        slots.release();
                        wake();
                    }
                });
            }
        } catch (RuntimeException e) {
            slots.release();
            Log.warnf("%s cannot claim work right now: %s", name, e.getMessage());
        }
    }

    private void runClaimed(T item) {
        long beat = Math.max(1, claimDuration.toMillis() / 3);
        ScheduledFuture<?> heartbeat = heartbeats.scheduleWithFixedDelay(() -> {
            try {
                await(() -> extender.extend(item, owner));
            } catch (RuntimeException e) {
                Log.warnf("%s cannot renew a claim: %s", name, e.getMessage());
            }
        }, beat, beat, TimeUnit.MILLISECONDS);
        try {
            runner.run(item);
        } catch (Throwable e) {
            Log.errorf(e, "%s: a run ended unexpectedly", name);
        } finally {
            heartbeat.cancel(false);
        }
    }

    /** Stops claiming and interrupts running items; their claims lapse and another instance continues them. */
    @Override
    public void close() {
        claims.close();
        heartbeats.shutdownNow();
        workers.shutdownNow();
    }

    private static ThreadFactory named(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
