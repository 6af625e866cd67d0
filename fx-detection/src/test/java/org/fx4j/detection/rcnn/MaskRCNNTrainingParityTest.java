package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.Parity;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * maskrcnn_resnet50_fpn's five training losses and every trainable parameter's gradient of their sum,
 * against torchvision 0.14.1 in float64: same weights (BatchNorm2d in training mode), two images of
 * odd sizes, one with three objects (elliptic masks) and one without objects; the samplers take every
 * candidate, so nothing depends on random draws.
 */
class MaskRCNNTrainingParityTest {

    /** Round-off bound relative to each array's largest value (float64 through ResNet-50, forward and backward). */
    private static final double REL = 1e-9;

    @TempDir
    static Path ref;

    private static NDManager manager;
    private static JsonObject summary;
    private static MaskRCNN model;
    private static Map<String, NDArray> losses;
    private static StateDict expectedLosses;
    private static StateDict expectedGrads;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (!TorchvisionReference.isAvailable()) {
            return;
        }
        summary = JsonParser.parseString(TorchvisionReference.run(MaskRCNNTrainingParityTest.class,
                "/reference/maskrcnn_training_parity.py", ref.toString())).getAsJsonObject();
        int all = 10_000_000;
        model = DetectionModels.maskrcnnResnet50Fpn(7, false, new RcnnConfig().minSize(320).maxSize(512)
                .rpnBatchSizePerImage(all).rpnPositiveFraction(1.0).boxBatchSizePerImage(all).boxPositiveFraction(1.0));
        Checkpoints.load(model, ref.resolve("state.npz"), manager,
                CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build());
        model.train();
        List<NDArray> images = new ArrayList<>();
        List<DetectionTarget> targets = new ArrayList<>();
        try (StateDict in = Checkpoints.read(ref.resolve("inputs.npz"), manager)) {
            for (int i = 0; i < 2; i++) {
                images.add(keep(in.get("image." + i)));
                targets.add(new DetectionTarget(keep(in.get("target." + i + ".boxes")),
                        keep(in.get("target." + i + ".labels")), keep(in.get("target." + i + ".masks"))));
            }
        }
        for (Parameter p : model.namedParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            losses = model.losses(images, targets);
            NDArray total = null;
            for (NDArray l : losses.values()) {
                total = total == null ? l : total.add(l);
            }
            collector.backward(total);
        }
        expectedLosses = Checkpoints.read(ref.resolve("losses.npz"), manager);
        expectedGrads = Checkpoints.read(ref.resolve("grads.npz"), manager);
    }

    private static NDArray keep(NDArray a) {
        NDArray copy = a.duplicate();
        copy.attach(manager);
        return copy;
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void theFiveLossesMatchTorchvision() {
        TorchvisionReference.assumeAvailable();
        List<String> order = new ArrayList<>();
        summary.getAsJsonArray("order").forEach(k -> order.add(k.getAsString()));
        assertEquals(order, List.copyOf(losses.keySet()), "torchvision's loss names and order");
        for (String k : order) {
            NDArray expected = expectedLosses.get(k);
            // torchvision's RPN labels are float32, so torch computes loss_objectness in float32 even for a
            // float64 model (its result is float32; fx4j's stays float64): float32 round-off there.
            double rel = expected.getDataType() == DataType.FLOAT32 ? 1e-6 : 1e-12;
            assertEquals(k.equals("loss_objectness") ? DataType.FLOAT32 : DataType.FLOAT64, expected.getDataType(), k);
            Parity.assertClose("training parity", k, losses.get(k).reshape(1), expected.reshape(1), rel);
        }
    }

    @Test
    void everyTrainableParametersGradientMatchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        List<String> trainable = new ArrayList<>();
        summary.getAsJsonArray("trainable").forEach(k -> trainable.add(k.getAsString()));
        assertEquals(trainable, List.copyOf(model.namedParameters().keySet()), "the trainable parameters");
        double worst = 0;
        String worstName = null;
        for (String k : trainable) {
            NDArray grad = model.namedParameters().get(k).getArray().getGradient();
            assertNotNull(grad, k + " has a gradient");
            NDArray expected = expectedGrads.get(k);
            double w = Parity.assertClose("training parity grad", k, grad, expected, REL);
            if (w > worst) {
                worst = w;
                worstName = k;
            }
        }
        System.out.printf("training parity: %d gradients, worst |diff|/max|ref| %.1e (%s)%n", trainable.size(), worst,
                worstName);
    }
}
