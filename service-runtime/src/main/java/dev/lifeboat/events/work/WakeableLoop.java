package dev.lifeboat.events.work;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.quarkus.logging.Log;

/**
 * A task that runs when it is told something changed, and on a slow fallback period for what nobody announces: how
 * an idle service waits for work without querying its database several times a second. It runs on its own thread,
 * never two runs at once; wakes that arrive while one is pending are one run, and a wake that arrives while the task
 * runs makes it run once more after (what changed may have come too late for the run under way).
 */
public final class WakeableLoop implements AutoCloseable {

    private final String name;
    private final Runnable task;
    private final ScheduledExecutorService thread;
    private final AtomicBoolean pending = new AtomicBoolean();

    private WakeableLoop(String name, Runnable task) {
        this.name = name;
        this.task = task;
        this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} after {@code firstDelay}, then every {@code fallback} and whenever {@linkplain #wake() woken}. */
    public static WakeableLoop start(String name, Duration firstDelay, Duration fallback, Runnable task) {
        WakeableLoop loop = new WakeableLoop(name, task);
        loop.thread.scheduleWithFixedDelay(loop::runOnce, firstDelay.toMillis(), fallback.toMillis(), TimeUnit.MILLISECONDS);
        return loop;
    }

    /** Stops {@code loop} if it was started: for a bean's shutdown observer, which may run before its startup one did. */
    public static void closeIfStarted(WakeableLoop loop) {
        if (loop != null) {
            loop.close();
        }
    }

    /** Something changed: run the task soon, on the loop's thread (never the caller's). */
    public void wake() {
        if (pending.compareAndSet(false, true)) {
            try {
                thread.execute(() -> {
                    pending.set(false);
                    runOnce();
                });
            } catch (RejectedExecutionException closed) {
                pending.set(false);
            }
        }
    }

    /** Something becomes due at {@code at} (a delay that runs out): run the task then, besides the other runs. */
    public void wakeAt(Instant at) {
        long millis = Math.max(0, Duration.between(Instant.now(), at).toMillis());
        try {
            thread.schedule(this::wake, millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // stopped: nothing more runs
        }
    }

    private void runOnce() {
        try {
            task.run();
        } catch (RuntimeException e) {
            Log.warnf("%s: %s", name, e.getMessage());
        }
    }

    /** Stops: no further runs; a run under way is interrupted. */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
