package org.fx4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.detection.rcnn.Detections;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.fx.TraceOptions;
import org.junit.jupiter.api.Test;

/** The seed's example: channels from the dry run, torchvision's 174 nodes, five named levels. */
class Resnet50WithFpnTest {

    @Test
    void buildsTracesAndRuns() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            Resnet50WithFpn model = new Resnet50WithFpn(m);
            model.eval();
            List<String> nodes = FeatureExtraction.getGraphNodeNames(model,
                    TraceOptions.builder().suppressDiffWarning(true).build()).eval();
            assertEquals(174, nodes.size());
            assertTrue(nodes.contains("body.add_13") && nodes.get(173).equals("fpn"), nodes.toString());
            List<Long> in = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                in.add(model.stateDict().get("fpn.inner_blocks." + i + ".0.weight").getShape().get(1));
                assertEquals(256L, model.stateDict().get("fpn.layer_blocks." + i + ".0.weight").getShape().get(0));
            }
            assertEquals(List.of(256L, 512L, 1024L, 2048L), in, "in_channels_list from the dry run");
            NDList levels = model.forward(new NDList(m.randomUniform(0f, 1f, new Shape(1, 3, 128, 96))));
            List<String> names = new ArrayList<>();
            levels.forEach(a -> names.add(a.getName() + a.getShape()));
            assertEquals(List.of("0(1, 256, 32, 24)", "1(1, 256, 16, 12)", "2(1, 256, 8, 6)", "3(1, 256, 4, 3)",
                    "pool(1, 256, 2, 2)"), names);
        }
    }

    /**
     * The seed's headline: {@code model = MaskRCNN(Resnet50WithFPN(), num_classes=91).eval()}, which
     * torchvision 0.14.1 can only run with its FPN named 0..3 + pool; here the defaults are derived from the
     * backbone's maps (found by a dry run) and the model detects.
     */
    @Test
    void maskRcnnRunsOnTheSeedsBackbone() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            MaskRCNN model = new MaskRCNN(new Resnet50WithFpn(m), 91);
            model.initialize(m);
            model.eval();
            assertEquals(List.of("0", "1", "2", "3", "pool"), model.featureNames());
            assertEquals(List.of(List.of(32), List.of(64), List.of(128), List.of(256), List.of(512)),
                    model.rpn().anchorGenerator().sizes(), "torchvision's defaults for the standard FPN");
            List<Detections> out = model.detect(List.of(m.randomUniform(0f, 1f, new Shape(3, 96, 128))));
            Detections d = out.get(0);
            assertTrue(d.size() <= 100);
            assertEquals(new Shape(d.size(), 1, 96, 128), d.masks().getShape());
        }
    }
}
