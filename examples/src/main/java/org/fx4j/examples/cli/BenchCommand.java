package org.fx4j.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.GsonBuilder;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.detection.rcnn.DetectionModels;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.ReturnNodes;
import org.fx4j.fx.TraceOptions;
import org.fx4j.nn.Module;
import org.fx4j.runtime.MallocSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fx bench MODEL --nodes ... [--batch N] [--iters N] [--threads N] [--json]}: a quick latency
 * and throughput measurement of an extractor (and, with {@code --eager}, of the model's eager
 * forward) for users without JMH.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure extractor latency and throughput (warm-up, then median, min, max).")
public final class BenchCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model name, e.g. resnet50.")
    private String model;

    @Option(names = "--nodes", split = ",", paramLabel = "NODE[:ALIAS]",
            description = "Nodes to return; required unless --fpn.")
    private List<String> nodes;

    @Option(names = "--fpn", description = "Time MODEL's detection backbone with an FPN (resnetFpnBackbone;"
            + " mobilenetBackbone for mobilenet_v2/v3) instead of an extractor.")
    private boolean fpn;

    @Option(names = "--maskrcnn", description = "Time maskrcnn_resnet50_fpn's detect() on one image of --size x --width"
            + " (MODEL resnet50; box_score_thresh 0, so 100 detections with masks), and report peak memory.")
    private boolean maskrcnn;

    @Option(names = "--train", description = "With --maskrcnn: time one training iteration (losses, backward, clipping,"
            + " SGD) of maskrcnn_resnet50_fpn with FrozenBatchNorm2d and 3 trainable layers, min = max size --size,"
            + " on --batch images with fixed targets (BenchmarkTargets).")
    private boolean train;

    @Option(names = "--width", description = "Image width (default: --size; detection inputs are often 800x1088).")
    private Integer width;

    @Option(names = "--batch", defaultValue = "1", description = "Batch size (default ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--size", defaultValue = "224", description = "Image side (default ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--iters", defaultValue = "20", description = "Timed runs (default ${DEFAULT-VALUE}).")
    private int iters;

    @Option(names = "--warmup", defaultValue = "5", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    private int warmup;

    @Option(names = "--warmup-seconds", defaultValue = "0",
            description = "Keep warming up for at least this long (JIT compilation; default ${DEFAULT-VALUE}).")
    private double warmupSeconds;

    @Option(names = "--threads", description = "libtorch intra-op threads (default: libtorch's, one per core).")
    private Integer threads;

    @Option(names = "--eager", description = "Also time the full model's eager forward.")
    private boolean eager;

    @Option(names = "--no-fold", description = "Run the extractor's graph as traced: no batch norms folded into their"
            + " convolutions (the inference pass, on by default).")
    private boolean noFold;

    @Option(names = "--json", description = "Print one JSON object.")
    private boolean json;

    @Mixin
    private WeightsOptions weights = new WeightsOptions();

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public BenchCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        CliChecks.atLeast(spec, "--batch", batch, 1);
        CliChecks.atLeast(spec, "--iters", iters, 1);
        CliChecks.atLeast(spec, "--warmup", warmup, 0);
        CliChecks.atLeast(spec, "--warmup-seconds", warmupSeconds, 0);
        CliChecks.size(spec, size);
        if (width != null) {
            CliChecks.size(spec, width);
        }
        if (maskrcnn && (fpn || nodes != null || !"resnet50".equals(model) || (batch != 1 && !train))) {
            throw new ParameterException(spec.commandLine(), "--maskrcnn times maskrcnn_resnet50_fpn on one image: MODEL"
                    + " resnet50, no --nodes, --fpn or --batch (--batch only with --train)");
        }
        if (train && noFold) {
            throw new ParameterException(spec.commandLine(), "--no-fold applies to inference; training runs unfolded");
        }
        if (train && !maskrcnn) {
            throw new ParameterException(spec.commandLine(), "--train times Mask R-CNN training; add --maskrcnn");
        }
        if (!maskrcnn && fpn == (nodes != null)) {
            throw new ParameterException(spec.commandLine(), fpn ? "--fpn times the pyramid; drop --nodes"
                    : "Missing required option: '--nodes=NODE[:ALIAS]' (or --fpn)");
        }
        if (threads != null) {
            CliChecks.atLeast(spec, "--threads", threads, 1);
        }
        Engine.getInstance(); // loads libtorch before its thread settings are touched
        int previousThreads = JniUtils.getNumThreads();
        boolean previousGrad = JniUtils.isGradMode();
        try {
            if (threads != null) {
                JniUtils.setNumThreads(threads);
            }
            JniUtils.setGradMode(false);
            return train ? measureMaskRcnnTraining() : maskrcnn ? measureMaskRcnn() : measure();
        } finally {
            JniUtils.setNumThreads(previousThreads);
            JniUtils.setGradMode(previousGrad);
        }
    }

    private int measure() throws IOException {
        Module net = fpn ? FpnBackboneCatalog.create(model) : catalog.create(model);
        TraceOptions quiet = TraceOptions.builder().suppressDiffWarning(true).build();
        Timing build = null;
        FeatureExtractor fx;
        if (fpn) {
            fx = DetectionBackbones.traced(net);
        } else {
            ReturnNodes spec = ReturnNodes.of(ExtractCommand.parseNodes(nodes));
            build = Timing.measure(() -> FeatureExtraction.createFeatureExtractor(net, spec, quiet), 20, 20);
            fx = FeatureExtraction.createFeatureExtractor(net, spec, quiet);
        }
        fx.eval();
        fx.foldBatchNorms(!noFold);
        FeatureExtractor timed = fx;
        Map<String, Object> result = new LinkedHashMap<>();
        int imageWidth = width == null ? size : width;
        try (NDManager manager = NDManager.newBaseManager()) {
            weights.apply(net, manager, fpn);
            net.eval();
            NDArray x = manager.randomUniform(0f, 1f, new Shape(batch, 3, size, imageWidth));
            Timing extract = Timing.measure(() -> {
                try (NDManager run = manager.newSubManager()) {
                    x.tempAttach(run); // an eager module's intermediates live in the input's manager: scope them
                    timed.forward(new NDList(x)).close();
                }
            }, warmup, warmupSeconds, iters);
            result.put("model", model);
            result.put("nodes", fpn ? List.of("fpn") : fx.outputNames());
            result.put("batch", batch);
            result.put("size", size);
            result.put("width", imageWidth);
            result.put("threads", JniUtils.getNumThreads());
            result.put("malloc", MallocSettings.current().describe());
            result.put("folded_pairs", fx.graphModule(false).foldedInLastPass());
            result.put("onednn", fx.graphModule(false).oneDnnInLastPass());
            result.put("iters", iters);
            result.put("median_ms", round(extract.medianMs));
            result.put("min_ms", round(extract.minMs));
            result.put("max_ms", round(extract.maxMs));
            result.put("images_per_s", round(extract.imagesPerSecond(batch)));
            if (build != null) {
                result.put("build_ms", round(build.medianMs));
            }
            if (eager) {
                Timing full = Timing.measure(() -> {
                    try (NDManager run = manager.newSubManager()) {
                        x.tempAttach(run);
                        net.forward(new NDList(x));
                    }
                }, warmup, warmupSeconds, iters);
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("median_ms", round(full.medianMs));
                e.put("min_ms", round(full.minMs));
                e.put("max_ms", round(full.maxMs));
                e.put("images_per_s", round(full.imagesPerSecond(batch)));
                result.put("eager", e);
            }
        }
        PrintWriter w = spec().commandLine().getOut();
        if (json) {
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(result));
        } else {
            w.printf(Locale.ROOT, "%s %s batch=%d size=%dx%d threads=%d%s malloc: %s%n", model, result.get("nodes"), batch,
                    size, (Integer) result.get("width"), (Integer) result.get("threads"), noFold ? " (not folded)" : "",
                    result.get("malloc"));
            if (build != null) {
                w.printf(Locale.ROOT, "  trace + build:      median %8.2f ms%n", build.medianMs);
            }
            w.printf(Locale.ROOT, (fpn ? "  FPN backbone fwd:  " : "  extractor forward: ")
                    + " median %8.2f ms  (min %.2f, max %.2f)  %8.2f images/s%n",
                    (Double) result.get("median_ms"), (Double) result.get("min_ms"), (Double) result.get("max_ms"),
                    (Double) result.get("images_per_s"));
            if (eager) {
                @SuppressWarnings("unchecked")
                Map<String, Object> e = (Map<String, Object>) result.get("eager");
                w.printf(Locale.ROOT, "  eager full forward: median %8.2f ms  (min %.2f, max %.2f)  %8.2f images/s%n",
                        (Double) e.get("median_ms"), (Double) e.get("min_ms"), (Double) e.get("max_ms"),
                        (Double) e.get("images_per_s"));
            }
        }
        w.flush();
        return 0;
    }

    private int measureMaskRcnn() throws IOException {
        int imageWidth = width == null ? size : width;
        MaskRCNN net = DetectionModels.maskrcnnResnet50Fpn(91, false, new RcnnConfig().boxScoreThresh(0));
        Map<String, Object> result = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            weights.apply(net, manager);
            net.eval();
            net.foldBatchNorms(!noFold);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(3, size, imageWidth));
            int[] count = new int[1];
            Timing t = Timing.measure(() -> {
                try (NDManager run = manager.newSubManager()) {
                    x.tempAttach(run);
                    count[0] = net.detect(List.of(x)).get(0).size();
                }
            }, warmup, warmupSeconds, iters);
            int[] resized = net.transform().resizedSize(size, imageWidth);
            result.put("model", "maskrcnn_resnet50_fpn");
            result.put("size", size);
            result.put("width", imageWidth);
            result.put("resized", resized[0] + "x" + resized[1]);
            result.put("threads", JniUtils.getNumThreads());
            result.put("malloc", MallocSettings.current().describe());
            result.put("iters", iters);
            result.put("detections", count[0]);
            result.put("folded_pairs", net.backboneFoldedInLastPass());
            putTiming(result, t);
        }
        PrintWriter w = spec().commandLine().getOut();
        if (json) {
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(result));
        } else {
            w.printf(Locale.ROOT, "maskrcnn_resnet50_fpn %dx%d (resized %s) threads=%d, %d detections%n", size,
                    imageWidth, result.get("resized"), (Integer) result.get("threads"), (Integer) result.get("detections"));
            w.printf(Locale.ROOT, "  detect: median %8.2f ms  (min %.2f, max %.2f); peak RSS %.0f MB%n",
                    (Double) result.get("median_ms"), (Double) result.get("min_ms"), (Double) result.get("max_ms"),
                    (Double) result.get("peak_rss_mb"));
        }
        w.flush();
        return 0;
    }

    private int measureMaskRcnnTraining() throws IOException {
        int imageWidth = width == null ? size : width;
        Map<String, Object> result = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            MaskRCNN net = DetectionModels.maskrcnnResnet50Fpn(91, 3, new RcnnConfig().minSize(size)
                    .maxSize(Math.max(size, imageWidth)));
            weights.apply(net, manager);
            net.samplerSeed(0);
            List<NDArray> images = new java.util.ArrayList<>();
            List<org.fx4j.detection.rcnn.DetectionTarget> targets = new java.util.ArrayList<>();
            for (int b = 0; b < batch; b++) {
                images.add(manager.randomUniform(0f, 1f, new Shape(3, size, imageWidth)));
                targets.add(org.fx4j.detection.train.BenchmarkTargets.fixedTarget(manager, size, imageWidth));
            }
            try (org.fx4j.detection.train.SgdOptimizer sgd = new org.fx4j.detection.train.SgdOptimizer(
                    net.namedParameters(), 0.9, 1e-4, manager);
                    org.fx4j.detection.train.TrainingStep step = new org.fx4j.detection.train.TrainingStep(net, sgd, 10)) {
                Timing t = Timing.measure(() -> {
                    try (NDManager run = manager.newSubManager()) {
                        for (NDArray x : images) {
                            x.tempAttach(run);
                        }
                        for (org.fx4j.detection.rcnn.DetectionTarget tg : targets) {
                            tg.boxes().tempAttach(run);
                            tg.labels().tempAttach(run);
                            tg.masks().tempAttach(run);
                        }
                        step.run(images, targets, 1e-4);
                    }
                }, warmup, warmupSeconds, iters);
                result.put("model", "maskrcnn_resnet50_fpn training (FrozenBatchNorm2d, trainable_backbone_layers=3)");
                result.put("batch", batch);
                result.put("size", size);
                result.put("width", imageWidth);
                result.put("threads", JniUtils.getNumThreads());
                result.put("malloc", MallocSettings.current().describe());
                result.put("iters", iters);
                putTiming(result, t);
            }
        }
        PrintWriter w = spec().commandLine().getOut();
        if (json) {
            w.println(new GsonBuilder().disableHtmlEscaping().create().toJson(result));
        } else {
            w.printf(Locale.ROOT, "%s, batch %d of %dx%d, threads=%d%n", result.get("model"), batch, size, imageWidth,
                    (Integer) result.get("threads"));
            w.printf(Locale.ROOT, "  iteration: median %8.2f ms  (min %.2f, max %.2f); peak RSS %.0f MB%n",
                    (Double) result.get("median_ms"), (Double) result.get("min_ms"), (Double) result.get("max_ms"),
                    (Double) result.get("peak_rss_mb"));
        }
        w.flush();
        return 0;
    }

    /** The timing figures of a Mask R-CNN measurement, as the JSON reports them. */
    private static void putTiming(Map<String, Object> result, Timing t) {
        result.put("median_ms", round(t.medianMs));
        result.put("min_ms", round(t.minMs));
        result.put("max_ms", round(t.maxMs));
        result.put("peak_rss_mb", peakRssMb());
    }

    /** The process's peak resident memory (Linux VmHWM), or -1 where it cannot be read. */
    private static double peakRssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private CommandSpec spec() {
        return spec;
    }

    private static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }
}
