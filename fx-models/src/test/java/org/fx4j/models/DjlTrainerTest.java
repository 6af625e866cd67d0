package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.Arrays;
import java.util.List;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.junit.jupiter.api.Test;

/** fx4j modules train with DJL's own Model and Trainer. */
class DjlTrainerTest {

    @Test
    void resnetLearnsAFixedBatchWithDjlTrainer() {
        Engine.getInstance().setRandomSeed(1);
        ResNet net = ResNet.builder().setBasicBlock().setLayers(1, 1, 1, 1).optNumClasses(4).build();
        try (Model model = Model.newInstance("fx4j-resnet")) {
            model.setBlock(net);
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).build());
            try (Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(new Shape(4, 3, 32, 32));
                NDManager m = trainer.getManager();
                NDArray x = m.randomNormal(new Shape(4, 3, 32, 32));
                NDArray y = m.create(new long[] {0, 1, 2, 3});
                float[] losses = new float[6];
                for (int i = 0; i < losses.length; i++) {
                    try (NDManager step = m.newSubManager()) {
                        x.tempAttach(step);
                        y.tempAttach(step);
                        try (GradientCollector gc = trainer.newGradientCollector()) {
                            NDArray loss = trainer.getLoss().evaluate(new NDList(y), trainer.forward(new NDList(x)));
                            gc.backward(loss);
                            losses[i] = loss.getFloat();
                        }
                    }
                    trainer.step();
                }
                assertTrue(losses[losses.length - 1] < losses[0], "loss falls: " + Arrays.toString(losses));
                assertTrue(net.stateDict().get("bn1.num_batches_tracked").getArray().getLong() >= 6,
                        "batch norm counted the training passes");
                // The trained parameters are shared with an extractor built afterwards.
                net.eval();
                FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer4"));
                NDArray f = fx.extract(x).get("layer4");
                assertFalse(Float.isNaN(f.sum().getFloat()));
                assertTrue(f.getDataType() == DataType.FLOAT32);
            }
        }
    }
}
