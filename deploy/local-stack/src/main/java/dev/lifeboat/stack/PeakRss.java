package dev.lifeboat.stack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples a process's resident memory every 50 ms and keeps the peaks: for benchmarks. VmRSS counts every resident
 * page, a mapped file's too (the page cache of a snapshot a service maps to read it); RssAnon only what the process
 * itself holds (heap, stacks, direct buffers).
 */
public final class PeakRss implements AutoCloseable {

    private final AtomicLong peak = new AtomicLong();
    private final AtomicLong peakAnon = new AtomicLong();
    private final Thread sampler;

    private PeakRss(long pid) {
        this.sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    peak.accumulateAndGet(status(pid, "VmRSS"), Math::max);
                    peakAnon.accumulateAndGet(status(pid, "RssAnon"), Math::max);
                    Thread.sleep(50);
                } catch (Exception e) {
                    return;
                }
            }
        }, "rss-sampler-" + pid);
        sampler.setDaemon(true);
        sampler.start();
    }

    /**
     * A memory field of {@code /proc/<pid>/status} now, in bytes: {@code VmRSS} (all resident pages) or {@code RssAnon}
     * (heap, stacks, direct buffers: no mapped files).
     */
    public static long status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) << 10;
            }
        }
        throw new IOException("/proc/" + pid + "/status has no " + field);
    }

    public static PeakRss of(long pid) {
        return new PeakRss(pid);
    }

    /** The highest resident set size seen so far, in bytes. */
    public long peak() {
        return peak.get();
    }

    /** The highest anonymous resident memory (RssAnon) seen so far, in bytes. */
    public long peakAnon() {
        return peakAnon.get();
    }

    /** Starts over from now. */
    public void reset() {
        peak.set(0);
        peakAnon.set(0);
    }

    @Override
    public void close() {
        sampler.interrupt();
    }
}
