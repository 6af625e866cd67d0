package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.LoadReport;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.FeatureStages;
import org.fx4j.fx.TraceOptions;
import org.fx4j.io.Npy;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numeric parity with torchvision 0.14.1: its randomly initialised model (with non-trivial
 * batch-norm statistics), saved with torch.save, loaded into the fx4j model, gives the same stage
 * features (FeatureStages) and logits. ResNets are checked in all three formats (torch.save zip and
 * legacy, safetensors); the other models in the zip format.
 */
class CheckpointParityTest {

    /** Largest |fx4j - torchvision| over the largest |torchvision|, per output. */
    static final double TOLERANCE = 1e-4;

    /** Module outputs compared for vision transformers (plus the last node, heads.head). */
    private static final List<String> VIT_NODES =
            List.of("conv_proj", "encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_5", "encoder.ln");

    /** Stage outputs compared for Swin transformers (plus the last node, head). */
    private static final List<String> SWIN_NODES = List.of("features.1", "features.3", "features.5", "features.7", "norm");

    private static final TraceOptions QUIET = TraceOptions.builder().suppressDiffWarning(true).build();

    static List<String> models() {
        return ModelSelection.models();
    }

    static double relativeError(NDArray actual, NDArray expected) {
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloatArray();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-12);
    }

    @ParameterizedTest
    @MethodSource("models")
    void featuresAndLogitsMatchTorchvision(String name) throws IOException {
        TorchvisionReference.assumeAvailable();
        Path dir = Files.createTempDirectory("fx4j-parity-" + name);
        try (NDManager manager = NDManager.newBaseManager()) {
            Module probe = ModelRegistry.create(name);
            probe.initialize(manager);
            boolean vit = probe instanceof VisionTransformer;
            // ViTs take 224px images only and torchvision cannot trace them: compare module outputs.
            // Swin's stages are channels-last, which stage detection (NCHW) does not see: name them.
            List<String> stages = vit ? VIT_NODES
                    : probe instanceof SwinTransformer ? SWIN_NODES : FeatureStages.stageNodes(probe);
            List<String> all = FeatureExtraction.getGraphNodeNames(probe, QUIET).eval();
            String last = all.get(all.size() - 1);
            List<String> nodes = new java.util.ArrayList<>(stages);
            nodes.add(last);
            boolean allFormats = name.startsWith("res") || name.startsWith("wide_res");
            TorchvisionReference.run(CheckpointParityTest.class, "/reference/model_parity.py", name, dir.toString(),
                    String.join(",", nodes), allFormats ? "all" : "zip", vit ? "224" : "64");
            NDArray x = Npy.read(dir.resolve("input.npy"), manager);
            try (StateDict expected = Checkpoints.read(dir.resolve("expected.npz"), manager)) {
                double worst = 0;
                List<String> files = allFormats
                        ? List.of("weights.pth", "weights_legacy.pth", "weights.safetensors") : List.of("weights.pth");
                for (String file : files) {
                    try (NDManager sub = manager.newSubManager()) {
                        Module model = ModelRegistry.create(name);
                        LoadReport report = Checkpoints.load(model, dir.resolve(file), sub);
                        assertTrue(report.isClean(), report.toString());
                        assertEquals(model.stateDict().size(), report.loadedCount());
                        model.eval();
                        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, nodes);
                        NDList out = fx.forward(new NDList(x));
                        for (NDArray a : out) {
                            NDArray e = expected.get(a.getName());
                            assertEquals(e.getShape(), a.getShape(), name + " " + a.getName());
                            double err = relativeError(a, e);
                            worst = Math.max(worst, err);
                            assertTrue(err <= TOLERANCE, String.format(Locale.ROOT,
                                    "%s %s from %s: relative error %.3g > %.0e", name, a.getName(), file, err, TOLERANCE));
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "parity %s: worst relative error %.3g over %s, nodes %s%n", name, worst,
                        files, nodes);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
