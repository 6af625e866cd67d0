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
import org.fx4j.io.Npy;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Numeric parity with torchvision 0.14.1: its randomly initialised model (with non-trivial
 * batch-norm statistics), saved with torch.save in both formats and as safetensors, loaded into the
 * fx4j model, gives the same layer1..layer4 features and logits.
 */
class ResNetCheckpointParityTest {

    /** Largest |fx4j - torchvision| over the largest |torchvision|, per output. */
    static final double TOLERANCE = 1e-4;

    static List<String> models() {
        return ModelRegistry.names();
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
            TorchvisionReference.run(ResNetCheckpointParityTest.class, "/reference/resnet_parity.py", name, dir.toString());
            NDArray x = Npy.read(dir.resolve("input.npy"), manager);
            try (StateDict expected = Checkpoints.read(dir.resolve("expected.npz"), manager)) {
                double worst = 0;
                for (String file : List.of("weights.pth", "weights_legacy.pth", "weights.safetensors")) {
                    try (NDManager sub = manager.newSubManager()) {
                        Module model = ModelRegistry.create(name);
                        LoadReport report = Checkpoints.load(model, dir.resolve(file), sub);
                        assertTrue(report.isClean(), report.toString());
                        assertEquals(model.stateDict().size(), report.loadedCount());
                        model.eval();
                        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(
                                model, List.of("layer1", "layer2", "layer3", "layer4", "fc"));
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
                System.out.printf(Locale.ROOT, "parity %s: worst relative error %.3g over 3 formats%n", name, worst);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
