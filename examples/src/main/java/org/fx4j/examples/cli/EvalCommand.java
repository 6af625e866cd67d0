package org.fx4j.examples.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.eval.CocoMetrics;
import org.fx4j.detection.eval.DetectionEvaluation;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.train.DetectionModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fx eval --weights RUN/model.safetensors --data DIR [--json]}: COCO box and mask AP of a model
 * trained by {@code fx train} on a COCO dataset directory.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "COCO box and mask AP of a model trained by `fx train` on a dataset.")
public final class EvalCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "FILE", description = "model.safetensors written by"
            + " `fx train`.")
    private Path weights;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "A COCO dataset directory"
            + " (annotations.json and images/).")
    private Path data;

    @Option(names = "--json", description = "Print {\"bbox\": {...}, \"segm\": {...}, \"images\": N} instead of the"
            + " table.")
    private boolean json;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        CocoDataset dataset = CocoDataset.open(data);
        PrintWriter w = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskRCNN model = DetectionModelSpec.load(weights, manager);
            DetectionModelSpec modelSpec = DetectionModelSpec.read(weights);
            checkCategories(modelSpec, dataset);
            DetectionEvaluation.Result r = DetectionEvaluation.evaluate(model, dataset, manager, null);
            if (json) {
                JsonObject o = new JsonObject();
                o.add("bbox", metrics(r.box()));
                if (r.mask() != null) {
                    o.add("segm", metrics(r.mask()));
                }
                o.addProperty("images", r.images());
                w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(o));
            } else {
                w.println("bbox (" + r.images() + " images):");
                w.print(r.box().table());
                if (r.mask() != null) {
                    w.println("segm:");
                    w.print(r.mask().table());
                }
            }
        }
        w.flush();
        return 0;
    }

    private static JsonObject metrics(CocoMetrics m) {
        JsonObject o = new JsonObject();
        m.asMap().forEach(o::addProperty);
        return o;
    }

    /** The dataset's categories must be the model's, in order (labels are positions). */
    static void checkCategories(DetectionModelSpec model, CocoDataset dataset) {
        java.util.List<String> names = dataset.categories().stream().map(CocoDataset.Category::name).toList();
        if (!names.equals(model.categories())) {
            throw new IllegalArgumentException("the dataset's categories " + names + " are not the model's "
                    + model.categories() + "; evaluate on data with the categories the model was trained on");
        }
    }
}
