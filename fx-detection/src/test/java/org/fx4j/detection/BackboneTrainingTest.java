package org.fx4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One optimiser step through {@code resnetFpnBackbone("resnet18")} with DJL's Trainer changes every
 * trainable parameter (layer2..layer4 and the FPN) and nothing else: the frozen convolutions (conv1,
 * layer1) and the frozen batch norms' weights and statistics keep their values bit for bit.
 */
class BackboneTrainingTest {

    @Test
    void aStepMovesExactlyTheTrainableParameters() {
        Engine.getInstance().setRandomSeed(5);
        BackboneWithFPN backbone = DetectionBackbones.resnetFpnBackbone("resnet18");
        List<String> frozen = DetectionBackbonesTest.frozenParameters(backbone);
        assertEquals(4, frozen.stream().filter(k -> k.startsWith("body.layer1.")).count(), "layer1's 4 convolutions");
        assertTrue(frozen.contains("body.conv1.weight"));
        try (Model model = Model.newInstance("fpn")) {
            model.setBlock(backbone);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.l2Loss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.1f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(2, 3, 64, 64));
                NDManager m = trainer.getManager();
                Map<String, NDArray> before = new LinkedHashMap<>();
                for (Map.Entry<String, Parameter> e : backbone.stateDict().entrySet()) {
                    before.put(e.getKey(), e.getValue().getArray().duplicate());
                }
                backbone.train();
                NDArray x = m.randomNormal(new Shape(2, 3, 64, 64));
                try (NDManager step = m.newSubManager()) {
                    x.tempAttach(step);
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDList levels = trainer.forward(new NDList(x));
                        NDArray loss = null;
                        for (NDArray level : levels) {
                            NDArray l = level.square().mean();
                            loss = loss == null ? l : loss.add(l);
                        }
                        gc.backward(loss);
                    }
                }
                trainer.step();
                List<String> moved = new ArrayList<>();
                for (Map.Entry<String, Parameter> e : backbone.stateDict().entrySet()) {
                    NDArray now = e.getValue().getArray();
                    if (!now.contentEquals(before.get(e.getKey()))) {
                        moved.add(e.getKey());
                    }
                }
                List<String> trainable = new ArrayList<>(backbone.namedParameters().keySet());
                assertFalse(trainable.isEmpty());
                assertTrue(trainable.stream().allMatch(k -> k.startsWith("body.layer2.") || k.startsWith("body.layer3.")
                        || k.startsWith("body.layer4.") || k.startsWith("fpn.")), trainable.toString());
                assertEquals(trainable, moved, "exactly the trainable parameters moved");
                for (String k : frozen) {
                    assertFalse(backbone.stateDict().get(k).requiresGradient() || backbone.stateDict().get(k).getArray().hasGradient(), k + " records no gradient");
                }
            }
        }
    }
}
