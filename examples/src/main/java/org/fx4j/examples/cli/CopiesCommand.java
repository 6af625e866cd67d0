package org.fx4j.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (!(threshold >= -1 && threshold <= 1)) {
            throw new ParameterException(spec.commandLine(), "--threshold must be in [-1, 1], got " + threshold);
        }
        DescriptorIndex index = DescriptorIndex.load(indexFile);
        PcaWhitening whitening = IndexWhitening.load(index, indexFile);
        List<DescriptorIndex.Pair> pairs = IndexWhitening.searchable(index, whitening).pairs(threshold);
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
