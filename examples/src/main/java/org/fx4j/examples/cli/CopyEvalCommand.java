package org.fx4j.examples.cli;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.translate.TranslateException;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fx4j.descriptors.DescriptorIndex;
import org.fx4j.descriptors.PcaWhitening;
import org.fx4j.examples.retrieval.CopyDetectionMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fx copyeval INDEX QUERIES [--whiten D] [--json]}: copy-detection scores of an index of
 * originals. Each image in {@code QUERIES/<kind>/} is an edited copy of the indexed image with the
 * same file name stem; it is described as the index was made and searched; recall@1 and mean
 * average precision are reported per kind ({@link CopyDetectionMetrics}). The raw descriptors are
 * scored; {@code --whiten D} also scores them whitened by a PCA learned from the index (as
 * {@code fx index --whiten} learns it).
 */
@Command(name = "copyeval", mixinStandardHelpOptions = true,
        description = "Score copy detection: search each copy in QUERIES/<edit>/ among the indexed originals.")
public final class CopyEvalCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INDEX", description = "An index of the originals (`fx index`).")
    private Path indexFile;

    @Parameters(index = "1", paramLabel = "QUERIES", description = "A directory with one subdirectory of copies per"
            + " edit (as `fx copyset` writes).")
    private Path queriesDir;

    @Option(names = "--whiten", paramLabel = "D", description = "Also score with PCA whitening to D dimensions,"
            + " learned from the indexed descriptors.")
    private Integer whiten;

    @Option(names = "--json", description = "Print the scores as JSON.")
    private boolean json;

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public CopyEvalCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException, TranslateException {
        if (!Files.isDirectory(queriesDir)) {
            throw new ParameterException(spec.commandLine(), "QUERIES '" + queriesDir + "' is not a directory");
        }
        DescriptorIndex index = DescriptorIndex.load(indexFile);
        if (whiten != null && (whiten < 1 || whiten > Math.min(index.dimension(), index.size() - 1))) {
            throw new ParameterException(spec.commandLine(), "--whiten must be between 1 and " + Math.min(
                    index.dimension(), index.size() - 1) + " (the descriptors' dimension and the index size - 1), got "
                    + whiten);
        }
        Map<String, String> byStem = new HashMap<>();
        for (String id : index.ids()) {
            String previous = byStem.put(stem(Path.of(id)), id);
            if (previous != null) {
                throw new IllegalArgumentException("the index holds two images with the stem '" + stem(Path.of(id))
                        + "' (" + previous + ", " + id + "); copies are matched to originals by file name stem");
            }
        }
        Map<String, List<Path>> files = new LinkedHashMap<>();
        try (var kinds = Files.list(queriesDir)) {
            for (Path kind : kinds.filter(Files::isDirectory).sorted().toList()) {
                if (kind.getFileName().toString().equals("all")) {
                    throw new IllegalArgumentException(kind + ": a kind of edit cannot be named 'all' (the overall"
                            + " scores are); rename the directory");
                }
                List<Path> images = ImageFiles.under(kind);
                if (!images.isEmpty()) {
                    files.put(kind.getFileName().toString(), images.stream().map(kind::resolve).toList());
                }
            }
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no subdirectory of " + queriesDir + " holds images; copies go in"
                    + " QUERIES/<edit>/");
        }
        Map<String, List<CopyDetectionMetrics.Query>> queries = new LinkedHashMap<>();
        try (DescriptorModel describer = DescriptorModel.open(index.settings(), catalog, indexFile.toString(), true);
                Predictor<Image, float[]> predictor = describer.newPredictor()) {
            for (Map.Entry<String, List<Path>> e : files.entrySet()) {
                List<CopyDetectionMetrics.Query> list = new ArrayList<>();
                for (int from = 0; from < e.getValue().size(); from += 16) {
                    List<Path> chunk = e.getValue().subList(from, Math.min(from + 16, e.getValue().size()));
                    List<Image> images = new ArrayList<>();
                    for (Path f : chunk) {
                        images.add(ImageFiles.read(f));
                    }
                    List<float[]> descriptors = predictor.batchPredict(images);
                    for (int i = 0; i < chunk.size(); i++) {
                        String original = byStem.get(stem(chunk.get(i)));
                        if (original == null) {
                            throw new IllegalArgumentException("the copy " + chunk.get(i) + " has no original in "
                                    + indexFile + " (no indexed file is named " + stem(chunk.get(i)) + ".*)");
                        }
                        list.add(new CopyDetectionMetrics.Query(chunk.get(i).toString(), descriptors.get(i), original));
                    }
                }
                queries.put(e.getKey(), list);
            }
        }
        Map<String, CopyDetectionMetrics.Score> plain = CopyDetectionMetrics.score(index, queries);
        Map<String, CopyDetectionMetrics.Score> whitened = null;
        if (whiten != null) {
            float[][] collection = new float[index.size()][];
            for (int i = 0; i < index.size(); i++) {
                collection[i] = index.descriptor(i);
            }
            PcaWhitening w = PcaWhitening.fit(collection, whiten);
            DescriptorIndex white = new DescriptorIndex(whiten);
            for (int i = 0; i < index.size(); i++) {
                white.add(index.ids().get(i), w.apply(collection[i]));
            }
            Map<String, List<CopyDetectionMetrics.Query>> wq = new LinkedHashMap<>();
            for (Map.Entry<String, List<CopyDetectionMetrics.Query>> e : queries.entrySet()) {
                wq.put(e.getKey(), e.getValue().stream().map(q -> new CopyDetectionMetrics.Query(q.file(),
                        w.apply(q.descriptor()), q.original())).toList());
            }
            whitened = CopyDetectionMetrics.score(white, wq);
        }
        print(index, plain, whitened);
        return 0;
    }

    private void print(DescriptorIndex index, Map<String, CopyDetectionMetrics.Score> plain,
            Map<String, CopyDetectionMetrics.Score> whitened) {
        PrintWriter w = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("originals", index.size());
            root.add("scores", toJson(plain));
            if (whitened != null) {
                root.addProperty("whiten", whiten);
                root.add("whitened", toJson(whitened));
            }
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(root));
        } else {
            Map<String, String> s = index.settings();
            w.println("# " + s.get(DescriptorModel.MODEL) + " " + s.get(DescriptorModel.NODE) + " "
                    + s.get(DescriptorModel.POOLING) + ", " + index.size() + " originals"
                    + (s.containsKey(DescriptorModel.WEIGHTS) ? ", weights " + s.get(DescriptorModel.WEIGHTS)
                    : ", random initialisation") + "; mAP = mean 1/rank (one original per copy)");
            w.println(whitened == null ? String.format(Locale.ROOT, "%-14s %7s %9s %6s", "edit", "queries", "recall@1",
                    "mAP") : String.format(Locale.ROOT, "%-14s %7s %9s %6s %13s %9s", "edit", "queries", "recall@1",
                    "mAP", "whitened r@1", "w. mAP"));
            for (Map.Entry<String, CopyDetectionMetrics.Score> e : plain.entrySet()) {
                CopyDetectionMetrics.Score a = e.getValue();
                String line = String.format(Locale.ROOT, "%-14s %7d %9.3f %6.3f", e.getKey(), a.queries(),
                        a.recallAt1(), a.meanAveragePrecision());
                if (whitened != null) {
                    CopyDetectionMetrics.Score b = whitened.get(e.getKey());
                    line += String.format(Locale.ROOT, " %13.3f %9.3f", b.recallAt1(), b.meanAveragePrecision());
                }
                w.println(line);
            }
        }
        w.flush();
    }

    private static JsonObject toJson(Map<String, CopyDetectionMetrics.Score> scores) {
        JsonObject o = new JsonObject();
        for (Map.Entry<String, CopyDetectionMetrics.Score> e : scores.entrySet()) {
            JsonObject s = new JsonObject();
            s.addProperty("queries", e.getValue().queries());
            s.addProperty("recall_at_1", e.getValue().recallAt1());
            s.addProperty("map", e.getValue().meanAveragePrecision());
            o.add(e.getKey(), s);
        }
        return o;
    }

    private static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
