package org.fx4j.examples.cli;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.translate.TranslateException;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
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
 * {@code fx search INDEX IMAGE [--k 5] [--json]}: describes IMAGE as the index's images were described
 * (model, node, pooling, weights and preprocessing read from the index) and prints the {@code k} most
 * similar indexed images, best first, with their cosine similarity (of the whitened descriptors when
 * the index was made with {@code --whiten}).
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Find the indexed images most similar to an image (cosine similarity of descriptors).")
public final class SearchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INDEX", description = "An index written by `fx index`.")
    private Path indexFile;

    @Parameters(index = "1", paramLabel = "IMAGE", description = "The query image.")
    private Path image;

    @Option(names = "--k", defaultValue = "5", description = "How many results (default ${DEFAULT-VALUE}).")
    private int k;

    @Option(names = "--json", description = "Print {\"results\":[{\"file\":...,\"score\":...}, ...]}, best first.")
    private boolean json;

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public SearchCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, TranslateException {
        CliChecks.atLeast(spec, "--k", k, 1);
        if (!Files.isRegularFile(image)) {
            throw new ParameterException(spec.commandLine(), "IMAGE '" + image + "' is not a file");
        }
        DescriptorIndex index = DescriptorIndex.load(indexFile);
        PcaWhitening whitening = IndexWhitening.load(index, indexFile);
        Image query;
        try {
            query = ImageFiles.read(image);
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read the image " + image + " (" + e.getMessage() + "); PNG, JPEG, BMP and"
                    + " GIF are read", e);
        }
        List<DescriptorIndex.Hit> hits;
        try (DescriptorModel describer = DescriptorModel.open(index.settings(), catalog, indexFile.toString(), true);
                Predictor<Image, float[]> predictor = describer.newPredictor()) {
            float[] descriptor = predictor.predict(query);
            hits = IndexWhitening.searchable(index, whitening).search(whitening == null ? descriptor
                    : whitening.apply(descriptor), k);
        }
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            JsonArray results = new JsonArray();
            for (DescriptorIndex.Hit h : hits) {
                JsonObject o = new JsonObject();
                o.addProperty("file", h.id());
                o.addProperty("score", h.score());
                results.add(o);
            }
            JsonObject root = new JsonObject();
            root.add("results", results);
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(root));
        } else {
            w.println("# " + hits.size() + " of " + index.size() + " indexed images, best first"
                    + (whitening == null ? "" : " (whitened to " + whitening.dims() + " dimensions)"));
            for (int i = 0; i < hits.size(); i++) {
                w.println(String.format(Locale.ROOT, "%d  %.4f  %s", i + 1, hits.get(i).score(), hits.get(i).id()));
            }
        }
        w.flush();
        return 0;
    }
}
