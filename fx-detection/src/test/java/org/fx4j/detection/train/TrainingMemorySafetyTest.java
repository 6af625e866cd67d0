package org.fx4j.detection.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.CocoSamples;
import org.fx4j.detection.data.ShapesGenerator;
import org.fx4j.detection.rcnn.DetectionTarget;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Arrays DJL makes from Java data share the Java buffer and free it when closed; the forward closes
 * its intermediates before the backward pass runs, so anything libtorch's autograd keeps must be in
 * libtorch's memory ({@code TorchOwned}, {@code Scalars}). Here a collection and fresh direct buffers
 * between the forward and the backward must not change a single bit of the losses or gradient norms.
 * (Seen to fail, with out-of-bounds gather indices, when {@code TorchOwned.forAutograd} returns its
 * argument.)
 */
class TrainingMemorySafetyTest {

    @TempDir
    static Path dir;

    @Test
    void collectingBetweenForwardAndBackwardChangesNothing() throws Exception {
        new ShapesGenerator(96, 3).write(6, dir.resolve("data"));
        CocoDataset ds = CocoDataset.open(dir.resolve("data"));
        List<double[]> plain = steps(ds, false);
        List<double[]> collected = steps(ds, true);
        for (int i = 0; i < plain.size(); i++) {
            assertTrue(Double.isFinite(plain.get(i)[0]) && Double.isFinite(plain.get(i)[1]), "step " + i);
            assertEquals(plain.get(i)[0], collected.get(i)[0], 0.0, "loss of step " + i);
            assertEquals(plain.get(i)[1], collected.get(i)[1], 0.0, "gradient norm of step " + i);
        }
    }

    private static List<double[]> steps(CocoDataset ds, boolean collect) throws IOException, InterruptedException {
        DetectionModelSpec spec = new DetectionModelSpec("resnet18", ds.numClasses(), 5, List.of("circle", "square",
                "triangle"), 32, 64, List.of(32), DetectionModelSpec.lightConfig(96));
        List<double[]> out = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            MaskRCNN model = spec.build();
            Engine.getInstance().setRandomSeed(0);
            model.initialize(m);
            model.samplerSeed(0);
            Map<String, Parameter> params = model.namedParameters();
            params.values().forEach(p -> p.getArray().setRequiresGradient(true));
            model.train();
            try (SgdOptimizer sgd = new SgdOptimizer(params, 0.9, 1e-4, m)) {
                for (int it = 0; it < 3; it++) {
                    try (NDManager s = m.newSubManager()) {
                        List<NDArray> images = new ArrayList<>();
                        List<DetectionTarget> targets = new ArrayList<>();
                        for (int b = 0; b < 2; b++) {
                            CocoSamples.Sample sample = CocoSamples.load(ds, 2 * it + b, s, b == 1);
                            images.add(sample.image());
                            targets.add(sample.target());
                        }
                        double loss;
                        try (NDManager scope = s.newSubManager();
                                GradientCollector c = Engine.getInstance().newGradientCollector()) {
                            NDArray total = null;
                            for (NDArray l : model.losses(images, targets).values()) {
                                l.attach(scope);
                                total = total == null ? l : total.add(l);
                            }
                            total.attach(scope);
                            loss = total.getFloat();
                            if (collect) {
                                churn();
                            }
                            c.backward(total);
                        }
                        out.add(new double[] {loss, sgd.clipGradNorm(1e9)});
                        sgd.step(0.005);
                    }
                }
            }
        }
        return out;
    }

    /** Collects garbage (freeing released direct buffers) and reuses native memory with new buffers. */
    private static void churn() throws InterruptedException {
        for (int k = 0; k < 3; k++) {
            System.gc();
            Thread.sleep(20);
        }
        ByteBuffer[] fresh = new ByteBuffer[512];
        for (int k = 0; k < fresh.length; k++) {
            fresh[k] = ByteBuffer.allocateDirect(8 + k % 64);
            for (int j = 0; j < fresh[k].capacity(); j++) {
                fresh[k].put(j, (byte) 0x7f);
            }
        }
    }
}
