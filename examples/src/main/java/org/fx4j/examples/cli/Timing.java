package org.fx4j.examples.cli;

import java.util.Arrays;

/** Wall-clock latency statistics of repeated runs: warm-up, then median, minimum and maximum. */
final class Timing {

    final double medianMs;
    final double minMs;
    final double maxMs;
    final int iters;

    private Timing(double[] samples) {
        double[] t = samples.clone();
        Arrays.sort(t);
        int n = t.length;
        this.medianMs = n % 2 == 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
        this.minMs = t[0];
        this.maxMs = t[n - 1];
        this.iters = n;
    }

    /** Runs {@code warmup} untimed and {@code iters} timed repetitions of {@code run}. */
    static Timing measure(Runnable run, int warmup, int iters) {
        return measure(run, warmup, 0, iters);
    }

    /**
     * Runs at least {@code warmup} untimed repetitions, and keeps warming up until {@code
     * warmupSeconds} have passed (the JVM compiles hot code during the first seconds), then {@code
     * iters} timed ones.
     */
    static Timing measure(Runnable run, int warmup, double warmupSeconds, int iters) {
        long until = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < until; i++) {
            run.run();
        }
        double[] t = new double[iters];
        for (int i = 0; i < iters; i++) {
            long start = System.nanoTime();
            run.run();
            t[i] = (System.nanoTime() - start) / 1e6;
        }
        return new Timing(t);
    }

    /** Images per second at the median latency. */
    double imagesPerSecond(int batch) {
        return batch * 1000.0 / medianMs;
    }
}
