package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.fx4j.detection.ops.MultiScaleRoIAlign;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Mask R-CNN on a backbone that is not torchvision's 5-level FPN: defaults derived from its maps,
 * explicit parts that do not fit refused at construction, inputs converted or refused, nothing
 * leaked into the caller's manager.
 */
class MaskRCNNBehaviourTest {

    private static NDManager manager;
    private static MaskRCNN model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(3);
        TinyBackbone backbone = new TinyBackbone();
        backbone.initialize(manager);
        model = new MaskRCNN(backbone, 3, new RcnnConfig().minSize(96).maxSize(128).boxScoreThresh(0),
                new RcnnParts());
        model.initialize(manager);
        model.eval();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void defaultsFollowTheBackbonesMaps() {
        assertEquals(List.of("layer1", "layer2", "layer3", "layer4"), model.featureNames(), "found by a dry run");
        assertEquals(List.of(List.of(32), List.of(64), List.of(128), List.of(256)),
                model.rpn().anchorGenerator().sizes());
        assertEquals(List.of("layer1", "layer2", "layer3", "layer4"), model.roiHeads().boxRoiPool().featmapNames());
        assertEquals(List.of("layer1", "layer2", "layer3", "layer4"), model.roiHeads().maskRoiPool().featmapNames());
        assertEquals(new Shape(TinyBackbone.CHANNELS, TinyBackbone.CHANNELS, 3, 3),
                model.stateDict().get("rpn.head.conv.0.0.weight").getShape(), "RPN head on the backbone's channels");
        assertEquals(new Shape(1024, TinyBackbone.CHANNELS * 49), model.stateDict().get("roi_heads.box_head.fc6.weight")
                .getShape());
        assertEquals(new Shape(3, 256, 1, 1), model.stateDict().get("roi_heads.mask_predictor.mask_fcn_logits.weight")
                .getShape());
    }

    @Test
    void explicitPartsThatDoNotFitAreRefused() {
        TinyBackbone backbone = new TinyBackbone();
        backbone.initialize(manager);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new MaskRCNN(backbone, 3,
                new RcnnConfig(), new RcnnParts().anchorGenerator(AnchorGenerator.fpnDefault())));
        assertTrue(e.getMessage().contains("for 5 feature maps") && e.getMessage().contains(
                "the backbone gives 4: [layer1, layer2, layer3, layer4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MaskRCNN(backbone, 3, new RcnnConfig(),
                new RcnnParts().boxRoiPool(new MultiScaleRoIAlign(List.of("0", "1", "2", "3"), 7, 2))));
        assertTrue(e.getMessage().contains("box_roi_pool pools feature maps [0, 1, 2, 3] but the backbone gives"
                + " [layer1, layer2, layer3, layer4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MaskRCNN(new Module() {}, 3));
        assertTrue(e.getMessage().contains("out_channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new MaskRCNN(backbone, null, new RcnnConfig(),
                new RcnnParts()));
        assertTrue(e.getMessage().contains("num_classes should not be None"), e.getMessage());
        TinyBackbone uninitialised = new TinyBackbone();
        IllegalStateException s = assertThrows(IllegalStateException.class, () -> new MaskRCNN(uninitialised, 3));
        assertTrue(s.getMessage().contains("not initialised"), s.getMessage());
    }

    @Test
    void detectsOnImagesOfDifferentSizesAndChannels() {
        try (NDManager m = manager.newSubManager()) {
            Engine.getInstance().setRandomSeed(5);
            NDArray rgb = m.randomUniform(0f, 1f, new Shape(3, 50, 70));
            NDArray grey = m.randomUniform(0f, 1f, new Shape(1, 61, 45));
            NDArray rgba = NDArrays.concat(new NDList(rgb, m.ones(new Shape(1, 50, 70))), 0);
            List<Detections> out = model.detect(List.of(rgb, grey, rgba));
            assertEquals(3, out.size());
            Detections a = out.get(0);
            assertTrue(a.size() > 0 && a.size() <= 100, "detections: " + a.size());
            assertEquals(new Shape(a.size(), 4), a.boxes().getShape());
            assertEquals(DataType.INT64, a.labels().getDataType());
            assertEquals(new Shape(a.size(), 1, 50, 70), a.masks().getShape(), "masks in the original size");
            assertEquals(new Shape(out.get(1).size(), 1, 61, 45), out.get(1).masks().getShape());
            float[] s = a.scores().toFloatArray();
            for (int i = 1; i < s.length; i++) {
                assertTrue(s[i - 1] >= s[i], "descending scores");
            }
            double maxX = a.boxes().get(":, 2").max().getFloat();
            assertTrue(maxX <= 70, "boxes clipped to the original width: " + maxX);
            assertArrayEquals(a.boxes().toFloatArray(), out.get(2).boxes().toFloatArray(), "RGBA: alpha dropped");
            // (alone, not in the batch: batch padding changes what the convolutions see, as in torchvision)
            List<Detections> greyAsRgb = model.detect(List.of(grey.repeat(0, 3)));
            assertArrayEquals(greyAsRgb.get(0).boxes().toFloatArray(), model.detect(List.of(grey)).get(0).boxes()
                    .toFloatArray(), "grey repeated to RGB");
        }
    }

    @Test
    void badInputsAreRefusedAndNothingLeaks() {
        try (NDManager m = manager.newSubManager()) {
            NDArray ok = m.randomUniform(0f, 1f, new Shape(3, 40, 40));
            assertMessage(() -> model.detect(List.of(ok, m.zeros(new Shape(40, 40)))),
                    "3d tensors of shape [C, H, W], got (40, 40) (image 1)");
            assertMessage(() -> model.detect(List.of(m.zeros(new Shape(3, 0, 40)))), "image 0 is empty");
            assertMessage(() -> model.detect(List.of(m.zeros(new Shape(2, 40, 40)))), "has 2 channels");
            assertMessage(() -> model.detect(List.of(m.zeros(new Shape(3, 40, 40), DataType.UINT8))),
                    "is uint8; expected float32 or float64 values in [0, 1]");
            NDArray nan = ok.duplicate();
            nan.set(new ai.djl.ndarray.index.NDIndex("0, 1, 1"), Float.NaN);
            assertMessage(() -> model.detect(List.of(nan)), "image 0 holds NaN or infinite values");
            assertMessage(() -> model.detect(List.of()), "no images given");
            assertMessage(() -> model.detect(List.of(ok.toType(DataType.FLOAT64, false))),
                    "image 0 is float64 but the model's parameters are float32");
            assertMessage(() -> model.detect(List.of(m.zeros(new Shape(3, 1, 2000)))),
                    "image 0 (1x2000) would be resized to 0x128");
            int before = m.getManagedArrays().size();
            List<Detections> out = model.detect(List.of(ok));
            int parameters = manager.getManagedArrays().size();
            model.detect(List.of(ok)).forEach(d -> {
                d.boxes().close();
                d.labels().close();
                d.scores().close();
                d.masks().close();
            });
            assertEquals(parameters, manager.getManagedArrays().size(), "nothing joins the parameters' manager"
                    + " (a reshaped weight once did, per call)");
            int created = 4;
            assertEquals(before + created, m.getManagedArrays().size(), "only the outputs join the caller's manager");
            assertEquals(new Shape(3, 40, 40), ok.getShape());
            model.train();
            try {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> model.detect(List.of(ok)));
                assertTrue(e.getMessage().contains("call eval() before detect()"), e.getMessage());
            } finally {
                model.eval();
            }
            out.get(0).boxes().close();
            // DJL's Block contract: a [B, 3, H, W] batch (two equal images: two arrays, each scoped), outputs named
            // i.boxes ...; nothing else is left behind.
            NDArray batch = ok.expandDims(0).repeat(0, 2);
            int arrays = m.getManagedArrays().size();
            ai.djl.ndarray.NDList flat = model.forward(new ai.djl.ndarray.NDList(batch));
            assertEquals("1.masks", flat.get(7).getName());
            flat.close();
            assertEquals(arrays, m.getManagedArrays().size(), "with the outputs closed, nothing is left behind");
        }
    }

    @Test
    void configIsCopiedAtConstruction() {
        TinyBackbone backbone = new TinyBackbone();
        backbone.initialize(manager);
        RcnnConfig config = new RcnnConfig().minSize(64).maxSize(96).boxScoreThresh(0);
        FasterRCNN faster = new FasterRCNN(backbone, 4, config, new RcnnParts());
        faster.initialize(manager);
        faster.eval();
        config.boxScoreThresh(1.0).minSize(800);
        try (NDManager m = manager.newSubManager()) {
            Detections d = faster.detect(List.of(m.randomUniform(0f, 1f, new Shape(3, 30, 44)))).get(0);
            assertTrue(d.size() > 0, "the model kept box_score_thresh 0");
            assertArrayEquals(new int[] {64, 93}, faster.transform().resizedSize(30, 44), "and min_size 64");
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new FasterRCNN(backbone, 4, null,
                new RcnnParts())).getMessage().contains("config and parts must not be null"));
    }

    @Test
    void fasterRcnnDetectsWithoutMasks() {
        TinyBackbone backbone = new TinyBackbone();
        backbone.initialize(manager);
        FasterRCNN faster = new FasterRCNN(backbone, 4, new RcnnConfig().minSize(64).maxSize(96).boxScoreThresh(0),
                new RcnnParts());
        faster.initialize(manager);
        faster.eval();
        assertTrue(faster.stateDict().keySet().stream().noneMatch(k -> k.contains("mask")));
        try (NDManager m = manager.newSubManager()) {
            Detections d = faster.detect(List.of(m.randomUniform(0f, 1f, new Shape(3, 30, 44)))).get(0);
            assertEquals(null, d.masks());
            assertEquals(new Shape(d.size(), 4), d.boxes().getShape());
            assertTrue(d.labels().toLongArray().length == 0 || java.util.Arrays.stream(d.labels().toLongArray())
                    .allMatch(l -> l >= 1 && l <= 3), "labels 1..3, background dropped");
        }
    }

    @Test
    void poolerTakesTheBackbonesOrderWhateverTheNamesOrder() {
        try (NDManager m = manager.newSubManager()) {
            java.util.Map<String, NDArray> maps = new java.util.LinkedHashMap<>();
            int[] sizes = {32, 16, 8, 4};
            for (int i = 0; i < 4; i++) {
                maps.put("l" + i, m.randomUniform(0f, 1f, new Shape(1, 2, sizes[i], sizes[i])));
            }
            List<NDArray> boxes = List.of(m.create(new float[] {0, 0, 20, 20, 10, 10, 120, 100, 0, 0, 127, 127},
                    new Shape(3, 4)));
            List<int[]> imageSizes = List.of(new int[] {128, 128});
            NDArray forward = new MultiScaleRoIAlign(List.of("l0", "l1", "l2", "l3"), 7, 2).pool(maps, boxes,
                    imageSizes);
            NDArray reversed = new MultiScaleRoIAlign(List.of("l3", "l2", "l1", "l0"), 7, 2).pool(maps, boxes,
                    imageSizes);
            assertArrayEquals(forward.toFloatArray(), reversed.toFloatArray(), "torchvision's _filter_input order");
            java.util.Map<String, NDArray> backwards = new java.util.LinkedHashMap<>();
            for (int i = 3; i >= 0; i--) {
                backwards.put("l" + i, maps.get("l" + i));
            }
            NDArray mapOrder = new MultiScaleRoIAlign(List.of("l0", "l1", "l2", "l3"), 7, 2).pool(backwards, boxes,
                    imageSizes);
            assertArrayEquals(forward.toFloatArray(), mapOrder.toFloatArray(), "finest first whatever the map's order");
        }
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
