package dev.lifeboat.stack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** Samples a process's resident memory (VmRSS in /proc) every 50 ms and keeps the peak: for benchmarks. */
public final class PeakRss implements AutoCloseable {

    private final AtomicLong peak = new AtomicLong();
    private final Thread sampler;

    private PeakRss(long pid) {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        this.sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    for (String line : Files.readAllLines(status)) {
                        if (line.startsWith("VmRSS:")) {
                            peak.accumulateAndGet(Long.parseLong(line.replaceAll("[^0-9]", "")) << 10, Math::max);
                        }
                    }
                    Thread.sleep(50);
                } catch (Exception e) {
                    return;
                }
            }
        }, "rss-sampler-" + pid);
        sampler.setDaemon(true);
        sampler.start();
    }

    public static PeakRss of(long pid) {
        return new PeakRss(pid);
    }

    /** The highest resident set size seen so far, in bytes. */
    public long peak() {
        return peak.get();
    }

    /** Starts over from now. */
    public void reset() {
        peak.set(0);
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
