package org.fx4j.bench;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.LoadReport;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;

/**
 * Measures loading one checkpoint into a fresh model: wall time and the growth of the process's
 * anonymous resident memory (sampled every millisecond; file pages of the memory-mapped checkpoint
 * are page cache and reported apart). Linux only.
 *
 * <p>Run: {@code java -cp fx-bench/target/benchmarks.jar org.fx4j.bench.CheckpointLoadProbe resnet50 FILE [repeats]}.
 */
public final class CheckpointLoadProbe {

    private CheckpointLoadProbe() {}

    /**
     * Runs the probe and prints one JSON object per repeat.
     *
     * @param args model name, checkpoint file, optional repeat count
     * @throws Exception if loading fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: CheckpointLoadProbe MODEL FILE [REPEATS]");
            System.exit(2);
        }
        String name = args[0];
        Path file = Path.of(args[1]);
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        for (int r = 0; r < repeats; r++) {
            try (NDManager manager = NDManager.newBaseManager()) {
                Module model = ModelRegistry.create(name);
                System.gc();
                long start;
                double ms;
                LoadReport report;
                long peakGrowth;
                long afterGrowth;
                try (RssSampler rss = RssSampler.start()) {
                    start = System.nanoTime();
                    report = Checkpoints.load(model, file, manager);
                    ms = (System.nanoTime() - start) / 1e6;
                    peakGrowth = rss.peakGrowth();
                    afterGrowth = rss.currentGrowth();
                }
                long weights = 0;
                for (var p : model.stateDict().values()) {
                    weights += p.getArray().getShape().size() * p.getArray().getDataType().getNumOfBytes();
                }
                System.out.printf(Locale.ROOT,
                        "{\"model\":\"%s\",\"file_mb\":%.1f,\"weights_mb\":%.1f,\"tensors\":%d,\"load_ms\":%.1f,"
                                + "\"anon_rss_growth_peak_mb\":%.1f,\"anon_rss_growth_after_mb\":%.1f,\"file_rss_mb\":%.1f}%n",
                        name, Files.size(file) / 1e6, weights / 1e6, report.loadedCount(), ms,
                        peakGrowth / 1e6, afterGrowth / 1e6, RssSampler.read("RssFile") / 1e6);
            }
        }
    }
}
