package org.fx4j.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.fx4j.descriptors.DescriptorIndex;
import org.fx4j.descriptors.PcaWhitening;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fx copies INDEX [--threshold 0.9] [--json]}: lists the pairs of indexed images whose
 * descriptors' cosine similarity reaches the threshold (near-duplicates), most similar first; the
 * whitened descriptors when the index was made with {@code --whiten}.
 */
@Command(name = "copies", mixinStandardHelpOptions = true,
        description = "List near-duplicate pairs of indexed images (cosine similarity at least --threshold).")
public final class CopiesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INDEX", description = "An index written by `fx index`.")
    private Path indexFile;

    @Option(names = "--threshold", defaultValue = "0.9",
            description = "Smallest cosine similarity of a pair, in [-1, 1] (default ${DEFAULT-VALUE}).")
    private double threshold;

    @Option(names = "--json", description = "Print {\"pairs\":[{\"first\":...,\"second\":...,\"score\":...}, ...]}.")
    private boolean json;

    /** The most pairs listed; more means the threshold does not separate the images. */
    static final long MAX_PAIRS = 5_000_000;

    /** The share of up to 2000 random pairs (seeded) whose cosine reaches the threshold. */
    static double shareAbove(DescriptorIndex index, double threshold) {
        int n = index.size();
        if (n < 2) {
            return 0;
        }
        Random r = new Random(0);
        int samples = (int) Math.min(2000, (long) n * (n - 1) / 2);
        int above = 0;
        for (int s = 0; s < samples; s++) {
            int a = r.nextInt(n);
            int b = r.nextInt(n - 1);
            b += b >= a ? 1 : 0;
            float[] x = index.descriptor(a);
            float[] y = index.descriptor(b);
            double dot = 0;
            for (int d = 0; d < x.length; d++) {
                dot += (double) x[d] * y[d];
            }
            above += dot >= threshold ? 1 : 0;
        }
        return (double) above / samples;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new ParameterException(spec.commandLine(), "--threshold must be in [-1, 1], got " + threshold);
        }
        DescriptorIndex index = DescriptorIndex.load(indexFile);
        PcaWhitening whitening = IndexWhitening.load(index, indexFile);
        DescriptorIndex searched = IndexWhitening.searchable(index, whitening);
        double share = shareAbove(searched, threshold);
        double expected = share * searched.size() * (searched.size() - 1.0) / 2;
        if (expected > MAX_PAIRS) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "about %.0f%% of random pairs of %s reach"
                    + " cosine %s: that would list ~%.0f pairs; raise --threshold%s", 100 * share, indexFile, threshold,
                    expected, whitening == null ? ", or index with --whiten D" : ""));
        }
        if (share >= 0.05 && searched.size() >= 10) {
            PrintWriter err = spec.commandLine().getErr();
            err.println(String.format(Locale.ROOT, "fx: warning: %.0f%% of random pairs of this index reach cosine %s:"
                    + " at this threshold its descriptors do not tell images apart (random weights?); raise --threshold"
                    + "%s", 100 * share, threshold, whitening == null ? " or index with --whiten D" : ""));
            err.flush();
        }
        List<DescriptorIndex.Pair> pairs = searched.pairs(threshold);
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            JsonArray list = new JsonArray();
            for (DescriptorIndex.Pair p : pairs) {
                JsonObject o = new JsonObject();
                o.addProperty("first", p.first());
                o.addProperty("second", p.second());
                o.addProperty("score", p.score());
                list.add(o);
            }
            JsonObject root = new JsonObject();
            root.add("pairs", list);
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(root));
        } else {
            w.println(String.format(Locale.ROOT, "# %d pair(s) of %d indexed images at cosine >= %s%s, most similar first",
                    pairs.size(), index.size(), threshold, whitening == null ? "" : " (whitened to " + whitening.dims()
                    + " dimensions)"));
            for (DescriptorIndex.Pair p : pairs) {
                w.println(String.format(Locale.ROOT, "%.4f  %s  %s", p.score(), p.first(), p.second()));
            }
        }
        w.flush();
        return 0;
    }
}
