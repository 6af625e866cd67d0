package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.BackboneWithFPN;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.nn.BatchNorm2d;
import org.junit.jupiter.api.Test;

/**
 * Freezing a Mask R-CNN on a ResNet-18 FPN backbone: with {@code trainableLayers} 0 (FrozenBatchNorm2d)
 * one SGD step moves the FPN and the heads and no parameter or buffer of the ResNet body; a backbone
 * put in evaluation mode inside a training model keeps its batch-norm statistics.
 */
class MaskRCNNFreezingTest {

    private static Map<String, float[]> snapshot(MaskRCNN model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toType(DataType.FLOAT32, false).toFloatArray());
        }
        return out;
    }

    private static Map<String, NDArray> step(MaskRCNN model, NDManager m, boolean update) {
        NDArray image = m.randomUniform(0f, 1f, new Shape(3, 64, 80));
        NDArray masks = m.zeros(new Shape(1, 64, 80), DataType.UINT8);
        masks.set(new ai.djl.ndarray.index.NDIndex("0, 10:40, 20:60"), 1);
        DetectionTarget target = new DetectionTarget(m.create(new float[] {20, 10, 60, 40}, new Shape(1, 4)),
                m.create(new long[] {1}), masks);
        for (Parameter p : model.namedParameters().values()) {
            p.getArray().setRequiresGradient(true);
        }
        Map<String, NDArray> losses;
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            losses = model.losses(List.of(image), List.of(target));
            NDArray total = null;
            for (NDArray l : losses.values()) {
                total = total == null ? l : total.add(l);
            }
            collector.backward(total);
        }
        if (update) {
            for (Parameter p : model.namedParameters().values()) {
                NDArray grad = p.getArray().getGradient();
                p.getArray().subi(grad.mul(0.1f));
            }
        }
        for (Parameter p : model.namedParameters().values()) {
            p.getArray().setRequiresGradient(false);
        }
        return losses;
    }

    @Test
    void headsOnlyTrainingMovesNoBodyParameter() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            BackboneWithFPN backbone = DetectionBackbones.resnetFpnBackbone("resnet18", 0, null, null, null);
            MaskRCNN model = new MaskRCNN(backbone, 3, new RcnnConfig().minSize(64).maxSize(96), new RcnnParts());
            model.initialize(m);
            List<String> trainable = new ArrayList<>(model.namedParameters().keySet());
            assertTrue(trainable.stream().noneMatch(k -> k.startsWith("backbone.body.")), trainable.toString());
            assertTrue(trainable.stream().anyMatch(k -> k.startsWith("backbone.fpn.")), "the FPN trains");
            model.train();
            Map<String, float[]> before = snapshot(model);
            step(model, m, true);
            Map<String, float[]> after = snapshot(model);
            List<String> moved = new ArrayList<>();
            for (String k : before.keySet()) {
                if (!java.util.Arrays.equals(before.get(k), after.get(k))) {
                    moved.add(k);
                }
            }
            assertTrue(moved.stream().noneMatch(k -> k.startsWith("backbone.body.")), moved.toString());
            assertTrue(moved.contains("roi_heads.box_predictor.cls_score.weight"), moved.toString());
            assertTrue(moved.contains("rpn.head.cls_logits.weight"), moved.toString());
            assertTrue(moved.contains("backbone.fpn.layer_blocks.0.0.weight"), moved.toString());
        }
    }

    @Test
    void trainableLayersChooseTheTrainableStagesOfTheResNet50Model() {
        String[] stages = {"layer4.", "layer3.", "layer2.", "layer1.", "conv1."};
        for (int k = 0; k <= 5; k++) {
            MaskRCNN model = DetectionModels.maskrcnnResnet50Fpn(3, k, new RcnnConfig());
            List<String> body = new ArrayList<>();
            for (String name : model.namedParameters().keySet()) {
                if (name.startsWith("backbone.body.")) {
                    body.add(name.substring("backbone.body.".length()));
                }
            }
            for (int s = 0; s < stages.length; s++) {
                String stage = stages[s];
                boolean trains = body.stream().anyMatch(n -> n.startsWith(stage));
                assertEquals(s < k, trains, "trainable layers " + k + ": " + stage);
            }
            assertFalse(body.contains("bn1.weight"), "a frozen batch norm has no trainable parameters");
            assertTrue(model.namedParameters().containsKey("backbone.fpn.layer_blocks.0.0.weight"), "the FPN trains");
            assertTrue(model.stateDict().keySet().stream().noneMatch(n -> n.endsWith("num_batches_tracked")),
                    "FrozenBatchNorm2d everywhere");
        }
        assertThrows(IllegalArgumentException.class, () -> DetectionModels.maskrcnnResnet50Fpn(3, 6, new RcnnConfig()));
    }

    @Test
    void aBackboneInEvaluationModeKeepsItsStatisticsWhileTheHeadsTrain() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(12);
            BackboneWithFPN backbone = DetectionBackbones.resnetFpnBackbone("resnet18", 5, null, null, BatchNorm2d::new);
            MaskRCNN model = new MaskRCNN(backbone, 3, new RcnnConfig().minSize(64).maxSize(96), new RcnnParts());
            model.initialize(m);
            model.train();
            String stat = "backbone.body.layer1.0.bn1.running_mean";
            float[] before = snapshot(model).get(stat);
            model.backbone().eval();
            step(model, m, false);
            assertArrayEquals(before, snapshot(model).get(stat), "an evaluation-mode backbone keeps its statistics");
            model.backbone().train();
            step(model, m, false);
            assertFalse(java.util.Arrays.equals(before, snapshot(model).get(stat)), "in training mode they move");
            assertEquals(5, model.losses(List.of(m.randomUniform(0f, 1f, new Shape(3, 64, 80))),
                    List.of(new DetectionTarget(m.zeros(new Shape(0, 4)), m.zeros(new Shape(0), DataType.INT64),
                            m.zeros(new Shape(0, 64, 80), DataType.UINT8)))).size());
        }
    }
}
