package org.fx4j.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.fx4j.fx.NodeOp;
import org.fx4j.fx.TraceOptions;
import org.fx4j.nn.ForwardContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** createFeatureExtractor: specs, errors, values, pruning, gradients and memory. */
class FeatureExtractorTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static TestModels.SmallNet smallNet() {
        TestModels.SmallNet net = new TestModels.SmallNet();
        net.initialize(manager);
        return net;
    }

    // ------------------------------------------------------------------ specs and errors

    @Test
    void truncatedSpecResolvesToLastNodeUnderIt() {
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(smallNet(), List.of("layer1"));
        assertEquals("layer1.1.relu_1", fx.graph(true).outputNodes().get("layer1").qualifiedName());
    }

    @Test
    void outputsComeInExecutionOrderAndMapsRename() {
        Map<String, String> spec = new LinkedHashMap<>();
        spec.put("layer2", "c3");
        spec.put("conv1", "stem");
        spec.put("layer1.0.add", "sum");
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(smallNet(), spec);
        assertEquals(List.of("stem", "sum", "c3"), fx.outputNames());
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> out = fx.extract(m.randomNormal(new Shape(2, 3, 32, 32)));
            assertEquals(List.of("stem", "sum", "c3"), new ArrayList<>(out.keySet()));
            assertEquals(new Shape(2, 8, 16, 16), out.get("stem").getShape());
            assertEquals(new Shape(2, 8, 8, 8), out.get("c3").getShape());
        }
    }

    @Test
    void noReturnNodesIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReturnNodes.builder().build());
        assertEquals(ReturnNodes.NONE_GIVEN, e.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> ReturnNodes.of(List.of()));
        assertTrue(empty.getMessage().contains("No return nodes"), empty.getMessage());
    }

    @Test
    void returnNodesTogetherWithTrainEvalNodesIsAnError() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ReturnNodes.builder()
                        .returnNodes(List.of("layer1"))
                        .trainReturnNodes(List.of("layer1"))
                        .evalReturnNodes(List.of("layer1"))
                        .build());
        assertEquals(ReturnNodes.BOTH_KINDS, e.getMessage());
    }

    @Test
    void onlyOneOfTrainAndEvalNodesIsAnError() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ReturnNodes.builder().trainReturnNodes(List.of("layer1")).build());
        assertEquals(ReturnNodes.ONLY_ONE, e.getMessage());
    }

    @Test
    void missingNodeIsNamedWithClosestPresentNames() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> FeatureExtraction.createFeatureExtractor(smallNet(), List.of("layer1.0.relu_9")));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("node: 'layer1.0.relu_9' is not present in model"), msg);
        assertTrue(msg.contains("getGraphNodeNames"), msg);
        assertTrue(msg.contains("Closest present nodes: 'layer1.0.relu_1', 'layer1.0.relu'"), msg);
    }

    @Test
    void partialPathComponentIsNotAMatch() {
        // "layer" prefixes "layer1" as a string but not as a path component.
        assertThrows(IllegalArgumentException.class,
                () -> FeatureExtraction.createFeatureExtractor(smallNet(), List.of("layer")));
    }

    @Test
    void duplicateOutputNamesAreAnError() {
        Map<String, String> spec = new LinkedHashMap<>();
        spec.put("layer1", "feat");
        spec.put("layer2", "feat");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReturnNodes.of(spec));
        assertTrue(e.getMessage().contains("Duplicate output name 'feat'")
                && e.getMessage().contains("'layer1'") && e.getMessage().contains("'layer2'"), e.getMessage());
        IllegalArgumentException twice = assertThrows(
                IllegalArgumentException.class, () -> ReturnNodes.of(List.of("layer1", "layer1")));
        assertTrue(twice.getMessage().contains("listed twice"), twice.getMessage());
    }

    @Test
    void twoSpecsForOneNodeAreAnError() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> FeatureExtraction.createFeatureExtractor(smallNet(), List.of("layer1", "layer1.1.relu_1")));
        assertTrue(e.getMessage().contains("resolves to the same node"), e.getMessage());
    }

    // ------------------------------------------------------------------ train / eval

    @Test
    void extractorKeepsBothGraphsAndSwitchesWithMode() {
        TestModels.TrainEvalModel model = new TestModels.TrainEvalModel();
        List<String> warnings = new ArrayList<>();
        Map<String, String> train = new LinkedHashMap<>();
        train.put("dropout", "feat1");
        train.put("add", "feat2");
        train.put("sub", "feat3");
        Map<String, String> eval = new LinkedHashMap<>();
        eval.put("dropout", "feat1");
        eval.put("mul", "feat2");
        eval.put("sub", "feat3");
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(
                model,
                ReturnNodes.builder().trainReturnNodes(train).evalReturnNodes(eval).build(),
                TraceOptions.builder().warningHandler(warnings::add).build());
        assertEquals(1, warnings.size(), "graphs differ, so torchvision warns");
        assertTrue(fx.isTraining(), "starts in the model's mode (train)");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(new float[] {1, 2, 3, 6});
            Map<String, NDArray> t = fx.extract(x);
            assertEquals(0f, t.get("feat1").getFloat());
            assertEquals(10f, t.get("feat2").getFloat());
            assertEquals(10f, t.get("feat3").getFloat());
            fx.eval();
            Map<String, NDArray> e = fx.extract(x);
            assertEquals(3f, e.get("feat1").getFloat());
            assertEquals(0f, e.get("feat2").getFloat());
            assertEquals(0f, e.get("feat3").getFloat());
        }
        model.eval();
        FeatureExtractor evalStart = FeatureExtraction.createFeatureExtractor(
                model,
                ReturnNodes.builder().trainReturnNodes(train).evalReturnNodes(eval).build(),
                TraceOptions.builder().suppressDiffWarning(true).warningHandler(warnings::add).build());
        assertFalse(evalStart.isTraining(), "starts in the model's mode (eval)");
        assertEquals(1, warnings.size(), "suppressed");
    }

    @Test
    void nodeOnlyInTrainGraphIsMissingInEval() {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> FeatureExtraction.createFeatureExtractor(new TestModels.TrainEvalModel(), List.of("add")));
        assertTrue(e.getMessage().contains("'add' is not present in model (eval mode)"), e.getMessage());
    }

    // ------------------------------------------------------------------ values, pruning, gradients, memory

    @Test
    void outputsEqualEagerIntermediatesBitForBit() {
        TestModels.SmallNet net = smallNet();
        net.eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("maxpool", "layer1", "layer2", "fc"));
        assertTrue(fx.foldsBatchNorms(), "folding is on by default");
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 32, 32));
            NDArray[] eager = net.eagerIntermediates(ForwardContext.eager(net).allEval(), x);
            NDList folded = fx.forward(new NDList(x));
            fx.foldBatchNorms(false); // the graph as traced: bit for bit
            NDList out = fx.forward(new NDList(x));
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(eager[i].toFloatArray(), out.get(i).toFloatArray(), "output " + out.get(i).getName());
                float scale = eager[i].abs().max().getFloat();
                assertArrayEquals(eager[i].toFloatArray(), folded.get(i).toFloatArray(), 1e-5f * scale,
                        "folded output " + out.get(i).getName());
            }
            NDArray logits = net.forward(x);
            assertArrayEquals(logits.toFloatArray(), out.get(3).toFloatArray());
        }
    }

    @Test
    void downstreamModulesAndParametersArePruned() {
        TestModels.SmallNet net = smallNet();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer1"));
        List<String> kept = fx.stateDict().keySet().stream().sorted().collect(Collectors.toList());
        List<String> expected = net.stateDict().keySet().stream()
                .filter(k -> k.startsWith("conv1.") || k.startsWith("bn1.") || k.startsWith("layer1."))
                .sorted()
                .collect(Collectors.toList());
        assertEquals(expected, kept);
        assertEquals(2 + 5 + 2 * 12, kept.size(), "conv1 (w, b) + bn1 (5) + two blocks of 2 convs (1) and 2 bns (5)");
        assertEquals(net.stateDict().size() - 12 - 2, kept.size(), "layer2 (12) and fc (2) are dropped");
        long callModules = fx.graph(false).nodes().stream().filter(n -> n.op() == NodeOp.CALL_MODULE).count();
        assertEquals(4 + 2 * 6, callModules, "stem (4) + per block conv1, bn1, relu, conv2, bn2, relu");
        assertTrue(fx.graph(false).qualifiedNames().stream().noneMatch(n -> n.startsWith("layer2") || n.equals("fc")));
    }

    @Test
    void gradientsFlowBackThroughTheExtractor() {
        TestModels.SmallNet net = smallNet();
        net.train();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer1", "layer2"));
        try (NDManager m = manager.newSubManager();
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray x = m.randomNormal(new Shape(4, 3, 32, 32));
            NDList out = fx.forward(new ParameterStore(m, false), new NDList(x), true);
            NDArray loss = out.get(0).mean().add(out.get(1).square().mean());
            gc.backward(loss);
            NDArray grad = net.stateDict().get("conv1.weight").getArray().getGradient();
            assertTrue(grad.abs().sum().getFloat() > 0, "conv1.weight receives a gradient");
            NDArray l2 = net.stateDict().get("layer2.0.conv2.weight").getArray().getGradient();
            assertTrue(l2.abs().sum().getFloat() > 0, "layer2 receives a gradient");
            assertEquals(0f, net.stateDict().get("fc.weight").getArray().getGradient().abs().sum().getFloat(),
                    "fc is pruned away and gets no gradient");
        } finally {
            for (var p : net.stateDict().values()) {
                if (p.requiresGradient()) {
                    p.getArray().setRequiresGradient(false);
                }
            }
        }
    }

    @Test
    void repeatedForwardsLeaveNothingInTheCallersManager() {
        TestModels.SmallNet net = smallNet();
        net.eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("layer1", "layer2"));
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(1, 3, 32, 32));
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 200; i++) {
                NDList out = fx.forward(new NDList(x));
                assertEquals(2, out.size());
                out.close();
            }
            assertEquals(before, m.getManagedArrays().size(), "no intermediates left behind");
            assertFalse(x.isReleased(), "the input is not closed");
        }
    }

    @Test
    void returningTheInputHandsOutACopy() {
        TestModels.SmallNet net = smallNet();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, List.of("x", "conv1"));
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(1, 3, 16, 16));
            x.setName("image");
            NDList out = fx.forward(new NDList(x));
            assertEquals("image", x.getName(), "the caller's array is not renamed");
            out.close();
            assertFalse(x.isReleased(), "closing outputs does not close the input");
            assertArrayEquals(new long[] {1, 3, 16, 16}, x.getShape().getShape());
        }
    }

    @Test
    void codeIsPrintedReadably() {
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(smallNet(), Map.of("layer1.0.add", "sum"));
        String code = fx.code();
        assertTrue(code.contains("NDList forward(NDArray x)"), code);
        assertTrue(code.contains("NDArray conv1 = this.conv1(x);"), code);
        assertTrue(code.contains("NDArray layer1_0_add = F.add(layer1_0_bn2, maxpool);"), code);
        assertTrue(code.contains("return named(\"sum\", layer1_0_add);"), code);
        assertNotNull(fx.toString());
    }

    @Test
    void wrongInputCountIsAClearError() {
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(smallNet(), List.of("layer1"));
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.zeros(new Shape(1, 3, 8, 8));
            NDArray b = m.zeros(new Shape(1));
            NDArray c = m.zeros(new Shape(1, 4, 8, 8));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> fx.forward(new NDList(a, b)));
            assertTrue(e.getMessage().contains("takes 1 input array(s) [x], got 2"), e.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> fx.forward(new NDList(c)));
            assertTrue(shape.getMessage().contains("node 'conv1'") && shape.getMessage().contains("[N, 3, H, W]"),
                    shape.getMessage());
            assertEquals(3, m.getManagedArrays().size(), "failed runs leave only the inputs");
        }
    }
}
