package org.fx4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Samples the process's anonymous resident memory ({@code RssAnon} of {@code /proc/self/status})
 * every millisecond on a daemon thread and keeps the peak. Linux only.
 */
final class RssSampler implements AutoCloseable {

    private final long baseline;
    private final AtomicLong peak;
    private final Thread thread;

    private RssSampler() {
        baseline = read("RssAnon");
        peak = new AtomicLong(baseline);
        thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(read("RssAnon"), Math::max);
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts sampling from the current anonymous RSS. */
    static RssSampler start() {
        return new RssSampler();
    }

    /** Reads a field of /proc/self/status in bytes (-1 if unavailable). */
    static long read(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** Peak growth since the start, in bytes. */
    long peakGrowth() {
        return Math.max(peak.get(), read("RssAnon")) - baseline;
    }

    /** Growth now, in bytes. */
    long currentGrowth() {
        return read("RssAnon") - baseline;
    }

    /** Stops sampling. */
    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
