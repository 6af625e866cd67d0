package org.fx4j.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fx4j.examples.io.FeatureMapPicture;
import org.fx4j.examples.Resnet50WithFpn;
import org.fx4j.examples.io.ImageInputs;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.fx.TraceOptions;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.NodeOp;
import org.fx4j.nn.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fx demo}: the seed example end to end: list resnet50's nodes, build the layer1..layer4
 * extractor, run it on the sample picture, print shapes and latency, write the feature-map pictures.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Walk through feature extraction on resnet50.")
public final class DemoCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--model", defaultValue = "resnet50", description = "Backbone (default ${DEFAULT-VALUE}).")
    private String model;

    private static final String DEFAULT_OUT = "fx-out/demo";

    @Option(names = "--out", defaultValue = DEFAULT_OUT, description = "Where pictures go (default ${DEFAULT-VALUE}).")
    private Path out;

    @Option(names = "--iters", defaultValue = "10", description = "Timed runs (default ${DEFAULT-VALUE}).")
    private int iters;

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public DemoCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        CliChecks.atLeast(spec, "--iters", iters, 1);
        OutputPaths.checkDirectory(spec, "--out", out, out.equals(Path.of(DEFAULT_OUT)));
        PrintWriter w = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager()) {
            Module net = catalog.createInitialized(model, manager);

            w.println("1. Graph nodes of " + model + " (FeatureExtraction.getGraphNodeNames)");
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(net);
            List<String> eval = names.eval();
            w.println("   " + eval.size() + " nodes, train and eval graphs " + (names.train().equals(eval) ? "identical" : "differ"));
            w.println("   first: " + String.join(", ", eval.subList(0, Math.min(8, eval.size()))));
            w.println("   last:  " + String.join(", ", eval.subList(Math.max(0, eval.size() - 5), eval.size())));

            w.println("2. createFeatureExtractor(" + model + ", [layer1, layer2, layer3, layer4])");
            long t0 = System.nanoTime();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer1", "layer2", "layer3", "layer4"));
            double buildMs = (System.nanoTime() - t0) / 1e6;
            fx.eval();
            long kept = fx.graph(false).nodes().stream().filter(n -> n.op() != NodeOp.OUTPUT).count();
            w.printf(Locale.ROOT, "   traced both modes and pruned in %.1f ms: %d of %d nodes kept, %d of %d state entries%n",
                    buildMs, kept, eval.size(), fx.stateDict().size(), net.stateDict().size());

            w.println("3. Features of the bundled sample picture (224x224, ImageNet-normalised)");
            NDArray x = ImageInputs.load(null, 224, manager);
            NDList features = fx.forward(new NDList(x));
            for (NDArray f : features) {
                w.println("   " + FeatureSummary.line(f.getName(), f, 6));
            }

            w.println("4. Latency, batch 1, median of " + iters + " runs after 3 warm-ups");
            double extractMs = Timing.measure(() -> fx.forward(new NDList(x)).close(), 3, iters).medianMs;
            double eagerMs = Timing.measure(() -> {
                // Eager forward leaves its intermediates in the input's manager: scope them per run.
                try (NDManager run = manager.newSubManager()) {
                    x.tempAttach(run);
                    net.forward(x);
                }
            }, 3, iters).medianMs;
            w.printf(Locale.ROOT, "   extractor (layer1..layer4): %8.2f ms%n", extractMs);
            w.printf(Locale.ROOT, "   full model, eager forward:  %8.2f ms%n", eagerMs);

            Files.createDirectories(out);
            for (NDArray f : features) {
                Path file = out.resolve(f.getName() + ".png");
                FeatureMapPicture.write(f, file);
            }
            w.println("5. Feature-map pictures: " + out.resolve("layer1.png") + " ... " + out.resolve("layer4.png"));
            features.close();

            w.println("6. Resnet50WithFpn, torchvision's documentation example: an extractor of resnet50's"
                    + " layer1..layer4 (channels from a dry run), then a FeaturePyramidNetwork of "
                    + Resnet50WithFpn.OUT_CHANNELS + " channels");
            Resnet50WithFpn withFpn = new Resnet50WithFpn(manager);
            withFpn.eval();
            int nodes = FeatureExtraction.getGraphNodeNames(withFpn,
                    TraceOptions.builder().suppressDiffWarning(true).build()).eval().size();
            w.println("   " + nodes + " graph nodes (torchvision lists 174), the last one 'fpn'; levels of the sample"
                    + " picture:");
            try (NDManager run = manager.newSubManager()) {
                x.tempAttach(run);
                for (NDArray level : withFpn.forward(new NDList(x))) {
                    w.println("   " + FeatureSummary.line(level.getName(), level, 6));
                }
            }
            w.flush();
        }
        return 0;
    }
}
