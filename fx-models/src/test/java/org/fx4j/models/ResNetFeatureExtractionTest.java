package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.FrozenBatchNorm2d;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Extraction on a real backbone: eager parity, pruning, gradients, norm-layer choice, bad input. */
class ResNetFeatureExtractionTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(11);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static NDArray run(Map<String, Block> modules, String name, ForwardContext ctx, NDArray x) {
        return ctx.call(modules.get(name), x);
    }

    @Test
    void layerOutputsEqualEagerForwardBitForBit() {
        ResNet net = ResNets.resnet18();
        net.initialize(manager);
        net.eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer1", "layer2", "layer3", "layer4", "fc"))
                .foldBatchNorms(false); // the graph as traced; the folded pass is within rounding (InferenceFoldingTest)
        Map<String, Block> m = net.namedModules();
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = sub.randomNormal(new Shape(2, 3, 64, 64));
            ForwardContext ctx = ForwardContext.eager(net).allEval();
            NDArray h = run(m, "maxpool", ctx, run(m, "relu", ctx, run(m, "bn1", ctx, run(m, "conv1", ctx, x))));
            NDList out = fx.forward(new NDList(x));
            for (int i = 1; i <= 4; i++) {
                h = run(m, "layer" + i, ctx, h);
                assertArrayEquals(h.toFloatArray(), out.get(i - 1).toFloatArray(), "layer" + i);
            }
            assertArrayEquals(net.forward(x).toFloatArray(), out.get(4).toFloatArray(), "fc");
        }
    }

    @Test
    void earlyExtractorKeepsOnlyWhatItNeeds() {
        ResNet net = ResNets.resnet50();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer2"));
        long full = net.stateDict().size();
        long kept = fx.stateDict().size();
        long expected = net.stateDict().keySet().stream()
                .filter(k -> k.startsWith("conv1.") || k.startsWith("bn1.") || k.startsWith("layer1.") || k.startsWith("layer2."))
                .count();
        assertEquals(expected, kept);
        assertTrue(fx.stateDict().keySet().stream().noneMatch(k -> k.startsWith("layer3") || k.startsWith("fc")));
        assertEquals(320, full, "resnet50's state dict has 320 entries, as in torchvision");
    }

    @Test
    void trainingStepThroughExtractorReachesTheStem() {
        ResNet net = ResNets.resnet18();
        net.initialize(manager);
        net.train();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer4"));
        try (NDManager sub = manager.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = sub.randomNormal(new Shape(2, 3, 64, 64));
            NDArray before = net.stateDict().get("bn1.running_mean").getArray().duplicate();
            NDList out = fx.forward(new ParameterStore(sub, false), new NDList(x), true);
            gc.backward(out.get(0).mean());
            assertTrue(net.stateDict().get("conv1.weight").getArray().getGradient().abs().sum().getFloat() > 0);
            assertTrue(before.sub(net.stateDict().get("bn1.running_mean").getArray()).abs().sum().getFloat() > 0,
                    "batch norm updates running stats in training mode");
            assertEquals(1L, net.stateDict().get("bn1.num_batches_tracked").getArray().getLong());
        }
    }

    @Test
    void frozenBatchNormBackboneHasTorchvisionStateKeys() {
        ResNet net = ResNet.builder().setBottleneck().setLayers(3, 4, 6, 3).optNormLayer(FrozenBatchNorm2d::new).build();
        assertTrue(net.stateDict().containsKey("layer1.0.downsample.1.running_var"));
        assertTrue(!net.stateDict().containsKey("bn1.num_batches_tracked"), "FrozenBatchNorm2d has no counter");
        assertEquals(0, ((Module) net).namedParameters().keySet().stream().filter(k -> k.startsWith("bn1")).count(),
                "frozen norms hold buffers, not trainable parameters");
    }

    @Test
    void badConstructionAndInputAreClearErrors() {
        IllegalArgumentException basic = assertThrows(IllegalArgumentException.class,
                () -> ResNet.builder().setBasicBlock().setLayers(2, 2, 2, 2).optGroups(32).build());
        assertEquals("BasicBlock only supports groups=1 and base_width=64", basic.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResNet.builder().setBottleneck().setLayers(3, 4, 6).build());
        ResNet net = ResNets.resnet18();
        net.initialize(manager);
        try (NDManager sub = manager.newSubManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> net.forward(sub.zeros(new Shape(1, 1, 32, 32))));
            assertTrue(e.getMessage().contains("[N, 3, H, W], got (1, 1, 32, 32)"), e.getMessage());
        }
    }
}
