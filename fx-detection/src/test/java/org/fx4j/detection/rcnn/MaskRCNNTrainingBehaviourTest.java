package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Training-mode losses on a small backbone: targets checked as torchvision checks them, empty images, gradients. */
class MaskRCNNTrainingBehaviourTest {

    private static NDManager manager;
    private static MaskRCNN model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(3);
        TinyBackbone backbone = new TinyBackbone();
        backbone.initialize(manager);
        model = new MaskRCNN(backbone, 3, new RcnnConfig().minSize(96).maxSize(128), new RcnnParts());
        model.initialize(manager);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NDArray image(NDManager m) {
        return m.randomUniform(0f, 1f, new Shape(3, 60, 80));
    }

    private static DetectionTarget target(NDManager m, float[] boxes, long[] labels) {
        int k = labels.length;
        NDArray masks = m.zeros(new Shape(k, 60, 80), DataType.UINT8);
        for (int i = 0; i < k; i++) {
            masks.set(new NDIndex("{}, {}:{}, {}:{}", i, (int) boxes[i * 4 + 1], (int) boxes[i * 4 + 3],
                    (int) boxes[i * 4], (int) boxes[i * 4 + 2]), 1);
        }
        return new DetectionTarget(m.create(boxes, new Shape(k, 4)), m.create(labels), masks);
    }

    @Test
    void lossesNeedTrainingModeAndValidTargets() {
        try (NDManager m = manager.newSubManager()) {
            model.eval();
            NDArray img = image(m);
            DetectionTarget ok = target(m, new float[] {5, 5, 30, 40}, new long[] {1});
            assertTrue(assertThrows(IllegalStateException.class, () -> model.losses(List.of(img), List.of(ok)))
                    .getMessage().contains("call train()"));
            model.train();
            DetectionTarget flat = target(m, new float[] {5, 5, 30, 40, 10, 10, 10, 20}, new long[] {1, 2});
            assertEquals("All bounding boxes should have positive height and width. Found invalid box"
                    + " [10.0, 10.0, 10.0, 20.0] for target at index 0.", assertThrows(IllegalArgumentException.class,
                            () -> model.losses(List.of(img), List.of(flat))).getMessage(), "torchvision's message");
            DetectionTarget label = target(m, new float[] {5, 5, 30, 40}, new long[] {3});
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.losses(List.of(img), List.of(label)))
                    .getMessage().contains("label 3 of object 0 is outside [0, 3)"));
            DetectionTarget smallMask = new DetectionTarget(ok.boxes(), ok.labels(), m.zeros(new Shape(1, 30, 80),
                    DataType.UINT8));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.losses(List.of(img),
                    List.of(smallMask))).getMessage().contains("masks must be [1, 60, 80]"));
            DetectionTarget greyMask = new DetectionTarget(ok.boxes(), ok.labels(), ok.masks().mul(2));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.losses(List.of(img),
                    List.of(greyMask))).getMessage().contains("0 and 1 only"));
            DetectionTarget intLabels = new DetectionTarget(ok.boxes(), ok.labels().toType(DataType.INT32, false),
                    ok.masks());
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.losses(List.of(img),
                    List.of(intLabels))).getMessage().contains("labels must be int64"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> model.losses(List.of(img, img),
                    List.of(ok))).getMessage().contains("one target per image"));
        } finally {
            model.eval();
        }
    }

    @Test
    void aBatchWithAnEmptyImageGivesFiniteLossesAndGradientsAndLeavesTheTargets() {
        try (NDManager m = manager.newSubManager()) {
            model.train();
            DetectionTarget objects = target(m, new float[] {5, 5, 30, 40, 40, 20, 75, 55}, new long[] {1, 2});
            DetectionTarget none = target(m, new float[0], new long[0]);
            float[] boxesBefore = objects.boxes().toFloatArray();
            for (Parameter p : model.namedParameters().values()) {
                p.getArray().setRequiresGradient(true);
            }
            Map<String, NDArray> losses;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                losses = model.losses(List.of(image(m), image(m)), List.of(objects, none));
                NDArray total = null;
                for (NDArray l : losses.values()) {
                    total = total == null ? l : total.add(l);
                }
                collector.backward(total);
            }
            assertEquals(List.of("loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"),
                    List.copyOf(losses.keySet()));
            for (Map.Entry<String, NDArray> e : losses.entrySet()) {
                double v = e.getValue().getFloat();
                assertTrue(Double.isFinite(v) && v >= 0, e.getKey() + " = " + v);
            }
            assertArrayEquals(boxesBefore, objects.boxes().toFloatArray(), "the caller's boxes are not changed");
            NDArray grad = model.namedParameters().get("roi_heads.box_predictor.cls_score.weight").getArray()
                    .getGradient();
            assertNotNull(grad);
            assertTrue(grad.abs().sum().getFloat() > 0, "the classifier received a gradient");
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                Map<String, NDArray> empty = model.losses(List.of(image(m)), List.of(none));
                assertEquals(0f, empty.get("loss_box_reg").getFloat(), "no positives: no box regression");
                assertEquals(0f, empty.get("loss_mask").getFloat(), "no positives: no mask loss");
                assertEquals(0f, empty.get("loss_rpn_box_reg").getFloat());
                assertTrue(empty.get("loss_objectness").getFloat() > 0);
            }
        } finally {
            for (Parameter p : model.namedParameters().values()) {
                p.getArray().setRequiresGradient(false);
            }
            model.eval();
        }
    }
}
