package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation graph's cached batch-norm folding: within round-off of the unfolded graph, the
 * model's own parameters untouched, and new weights seen (a checkpoint load, a training step).
 */
class InferenceFoldingTest {

    private static final List<String> NODES = List.of("layer1", "layer2", "layer3", "layer4");

    @Test
    void foldedEqualsUnfoldedNearRoundOff() {
        for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Engine.getInstance().setRandomSeed(1);
                ResNet model = ResNets.resnet18();
                model.initialize(m, type);
                randomizeNorms(model); // non-trivial statistics: a fold with the wrong eps or shift shows
                model.eval();
                FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, NODES);
                NDArray x = m.randomNormal(new Shape(2, 3, 64, 64)).toType(type, false);
                Map<String, NDArray> plain = fx.foldBatchNorms(false).extract(x);
                Map<String, NDArray> folded = fx.foldBatchNorms(true).extract(x);
                Map<String, NDArray> again = fx.extract(x); // from the cache
                for (String n : NODES) {
                    double scale = plain.get(n).abs().max().toType(DataType.FLOAT64, false).getDouble();
                    double bound = type == DataType.FLOAT64 ? 1e-12 : 1e-5;
                    assertTrue(maxDiff(plain.get(n), folded.get(n)) <= bound * scale, type + " " + n + ": "
                            + maxDiff(plain.get(n), folded.get(n)) / scale);
                    assertEquals(0.0, maxDiff(folded.get(n), again.get(n)), "the cached fold gives the same result");
                }
            }
        }
    }

    @Test
    void theModelsParametersAreUntouchedAndNewWeightsAreSeen(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(2);
            ResNet model = ResNets.resnet18();
            model.initialize(m);
            randomizeNorms(model);
            model.eval();
            List<String> keys = new ArrayList<>(model.stateDict().keySet());
            float[] conv1 = model.stateDict().get("conv1.weight").getArray().toFloatArray();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, NODES);
            NDArray x = m.randomNormal(new Shape(1, 3, 64, 64));
            NDArray first = fx.extract(x).get("layer4");
            assertEquals(keys, new ArrayList<>(model.stateDict().keySet()), "state-dict keys unchanged");
            assertArrayEquals(conv1, model.stateDict().get("conv1.weight").getArray().toFloatArray(),
                    "the model's weights are not folded in place");

            // a checkpoint loaded into the model after the extractor ran: the same extractor sees it
            Engine.getInstance().setRandomSeed(3);
            ResNet other = ResNets.resnet18();
            other.initialize(m);
            randomizeNorms(other);
            Path file = dir.resolve("other.safetensors");
            Checkpoints.saveSafetensors(other, file);
            Checkpoints.load(model, file, m);
            assertSeesCurrentWeights(fx, x, "after Checkpoints.load");
            assertTrue(maxDiff(first, fx.extract(x).get("layer4")) > 1e-3, "the output changed");

            fx.extract(x); // folds cached from the loaded weights
            assertTrue(fx.graphModule(false).cachedFolds() > 0, "the pass ran folded");

            // a gradient-recording pass followed by an in-place step (no train()/eval() call between)
            JniUtils.setGradMode(true);
            try {
                model.forward(x.duplicate());
            } finally {
                JniUtils.setGradMode(false);
            }
            for (Parameter p : model.stateDict().values()) {
                if (p.getArray().getDataType() == DataType.FLOAT32) {
                    p.getArray().muli(1.01f); // an optimiser step, in place
                }
            }
            assertSeesCurrentWeights(fx, x, "after a gradient step");

            // batch-norm recalibration without gradients: one norm in training mode updates its statistics
            ((Module) model.namedModules().get("layer2.0.bn2")).train();
            fx.extract(x); // folds cached after the train() call
            model.forward(x.duplicate()); // eager, no gradients: layer2.0.bn2's running statistics move
            assertSeesCurrentWeights(fx, x, "after recalibrating a batch norm");
            model.eval();

            // an edit by hand, declared
            model.stateDict().get("layer3.0.bn1.running_var").getArray().muli(4f);
            Module.weightsChanged();
            assertSeesCurrentWeights(fx, x, "after weightsChanged()");
            assertFalse(fx.isTraining());
        }
    }

    private static void assertSeesCurrentWeights(FeatureExtractor fx, NDArray x, String when) {
        NDArray folded = fx.foldBatchNorms(true).extract(x).get("layer4");
        NDArray plain = fx.foldBatchNorms(false).extract(x).get("layer4");
        assertEquals(0, fx.graphModule(false).cachedFolds(), "turning folding off frees the folds");
        fx.foldBatchNorms(true);
        double scale = plain.abs().max().getFloat();
        assertTrue(maxDiff(plain, folded) <= 1e-5 * scale, when + ": " + maxDiff(plain, folded) / scale);
    }

    private static void randomizeNorms(Module model) {
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            String k = e.getKey();
            boolean norm = k.contains("bn") || k.contains("downsample.1");
            if (k.endsWith("running_var")) {
                fill(e.getValue().getArray(), 0.5f, 2f);
            } else if (k.endsWith("running_mean") || norm && k.endsWith("bias")) {
                fill(e.getValue().getArray(), -0.5f, 0.5f);
            } else if (norm && k.endsWith("weight")) {
                fill(e.getValue().getArray(), 0.5f, 1.5f);
            }
        }
    }

    private static void fill(NDArray a, float low, float high) {
        try (NDArray v = a.getManager().randomUniform(low, high, a.getShape(), a.getDataType())) {
            a.set(new NDIndex("..."), v);
        }
    }

    private static double maxDiff(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }
}
