package org.fx4j.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.examples.io.FeatureMapPicture;
import org.fx4j.features.FeatureInfo;
import org.fx4j.examples.io.ImageInputs;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.ReturnNodes;
import org.fx4j.fx.TraceOptions;
import org.fx4j.io.Npy;
import org.fx4j.nn.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fx extract MODEL (--nodes N1[:alias],N2 | --fpn) [--weights FILE] [--input FILE] [--size 224]
 * [--out DIR] [--png]}: builds the extractor (or the FPN backbone), runs it and prints name, shape,
 * mean and std per output.
 */
@Command(name = "extract", mixinStandardHelpOptions = true, description = "Extract intermediate features of a model.")
public final class ExtractCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model name, e.g. resnet50.")
    private String model;

    @Option(names = "--nodes", split = ",", paramLabel = "NODE[:ALIAS]",
            description = "Nodes to return, e.g. layer1:c2,layer4 (see `fx nodes MODEL`); required unless --fpn.")
    private List<String> nodes;

    @Option(names = "--fpn", description = "Run MODEL's detection backbone with an FPN (resnetFpnBackbone, 3 trainable"
            + " layers; mobilenetBackbone for mobilenet_v2/v3) and return its levels 0..3 and pool. --weights takes its"
            + " state dict (keys body.*, fpn.*), or a detection checkpoint with --prefix backbone.")
    private boolean fpn;

    @Option(names = "--input", paramLabel = "FILE",
            description = "PNG/JPEG (resized, ImageNet-normalised) or .npy float32 NCHW tensor; default: bundled sample.")
    private Path input;

    @Option(names = "--size", defaultValue = "224", description = "Image side after resizing (default ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--out", paramLabel = "DIR", description = "Write DIR/<name>.npy (float32, C order) per output.")
    private Path out;

    @Option(names = "--png", description = "Also write DIR/<name>.png, a grid of each output's channels.")
    private boolean png;

    @picocli.CommandLine.Mixin
    private WeightsOptions weights = new WeightsOptions();

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public ExtractCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    static Map<String, String> parseNodes(List<String> specs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String s : specs) {
            String spec = s.trim();
            int colon = spec.indexOf(':');
            String node = colon < 0 ? spec : spec.substring(0, colon);
            String alias = colon < 0 ? spec : spec.substring(colon + 1);
            if (node.isEmpty() || alias.isEmpty()) {
                throw new IllegalArgumentException("bad --nodes entry '" + s + "': use NODE or NODE:ALIAS");
            }
            if (!alias.matches("[A-Za-z0-9_.\\-]+")) {
                throw new IllegalArgumentException(
                        "bad output name '" + alias + "' in --nodes: use letters, digits, '.', '_' and '-' (it names files)");
            }
            if (map.put(node, alias) != null) {
                throw new IllegalArgumentException("node '" + node + "' is given twice in --nodes");
            }
        }
        return map;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (png && out == null) {
            throw new ParameterException(spec.commandLine(), "--png needs --out DIR to write the pictures to");
        }
        CliChecks.size(spec, size);
        if (fpn && nodes != null) {
            throw new ParameterException(spec.commandLine(), "--fpn returns the pyramid's levels; drop --nodes");
        }
        if (!fpn && nodes == null) {
            throw new ParameterException(spec.commandLine(), "Missing required option: '--nodes=NODE[:ALIAS]' (or --fpn)");
        }
        if (out != null) {
            OutputPaths.checkDirectory(spec, "--out", out, false);
        }
        PrintWriter w = spec.commandLine().getOut();
        Module net = fpn ? FpnBackboneCatalog.create(model) : catalog.create(model);
        Module fx = fpn ? DetectionBackbones.traced(net) : FeatureExtraction.createFeatureExtractor(
                net, ReturnNodes.of(parseNodes(nodes)), TraceOptions.builder().suppressDiffWarning(true).build());
        fx.eval();
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = ImageInputs.load(input, size, manager);
            long[] nonFinite = ImageInputs.countNonFinite(x);
            if (nonFinite[0] + nonFinite[1] > 0) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("fx: warning: input '" + input + "' holds " + nonFinite[0] + " NaN and " + nonFinite[1]
                        + " infinite values; torchvision accepts them, and they run into the features");
                err.flush();
            }
            String origin = weights.apply(net, manager, fpn);
            w.println("# " + model + (fpn ? " FPN backbone" : "") + " (" + origin + "), input "
                    + (input == null ? "bundled sample.png" : input.toString()) + " " + x.getShape());
            NDList features = fx.forward(new NDList(x));
            if (fpn) {
                features.forEach(f -> f.setName(f.getName().substring("fpn.".length()))); // the levels: 0..3, pool
            }
            int width = features.stream().mapToInt(a -> a.getName().length()).max().orElse(4);
            for (NDArray f : features) {
                w.println(FeatureSummary.line(f.getName(), f, width));
            }
            if (out != null) {
                Files.createDirectories(out);
                Map<String, Boolean> channelsLast = new HashMap<>();
                if (png && !fpn) {
                    for (FeatureInfo.Entry e : FeatureInfo.of((FeatureExtractor) fx, x.getShape()).entries()) {
                        channelsLast.put(e.name(), e.channelsLast());
                    }
                }
                for (NDArray f : features) {
                    Npy.write(out.resolve(f.getName() + ".npy"), f);
                    if (png) {
                        if (channelsLast.getOrDefault(f.getName(), false)) {
                            try (NDArray nchw = f.transpose(0, 3, 1, 2)) {
                                FeatureMapPicture.write(nchw, out.resolve(f.getName() + ".png"));
                            }
                        } else if (FeatureMapPicture.drawable(f)) {
                            FeatureMapPicture.write(f, out.resolve(f.getName() + ".png"));
                        } else {
                            w.println("# no picture for " + f.getName() + ": shape " + f.getShape() + " is not a feature map");
                        }
                    }
                }
                w.println("# wrote " + features.size() + " file(s) to " + out + (png ? " with pictures" : ""));
            }
            w.flush();
        }
        return 0;
    }
}
