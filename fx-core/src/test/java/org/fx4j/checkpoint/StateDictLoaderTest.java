package org.fx4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Strict and non-strict loading by state-dict key, buffers, type conversion, all-or-nothing. */
class StateDictLoaderTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static final class Net extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(4).setKernelSize(3).build());
        private final BatchNorm2d bn = register("bn", new BatchNorm2d(4));
        private final Linear fc = register("fc", new Linear(4, 2));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray h = F.relu(bn.call(ctx, conv.call(ctx, x)));
            return fc.call(ctx, F.flatten(F.adaptiveAvgPool2d(h, 1, 1), 1));
        }
    }

    private static Net trainedNet() {
        Net net = new Net();
        manager.getEngine().setRandomSeed(5);
        net.initialize(manager);
        net.stateDict().get("bn.running_mean").getArray().addi(0.25f);
        net.stateDict().get("bn.num_batches_tracked").getArray().addi(9);
        return net;
    }

    private static float[] values(Module m, String key) {
        return m.stateDict().get(key).getArray().toType(DataType.FLOAT32, false).toFloatArray();
    }

    @Test
    void savedStateLoadsIntoAFreshModelExactly(@TempDir Path dir) throws IOException {
        Net source = trainedNet();
        Path file = dir.resolve("net.safetensors");
        Checkpoints.saveSafetensors(source, file);
        Net target = new Net();
        LoadReport report = Checkpoints.load(target, file, manager);
        assertTrue(report.isClean());
        assertEquals(source.stateDict().size(), report.loadedCount());
        for (String k : source.stateDict().keySet()) {
            assertArrayEquals(values(source, k), values(target, k), k);
        }
        assertEquals(DataType.INT64, target.stateDict().get("bn.num_batches_tracked").getArray().getDataType());
        assertEquals(9L, target.stateDict().get("bn.num_batches_tracked").getArray().getLong());
        source.eval();
        target.eval();
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(2, 3, 8, 8));
            assertArrayEquals(source.forward(x).toFloatArray(), target.forward(x).toFloatArray());
        }
    }

    @Test
    void loadingIntoAnExtractorsModelUpdatesTheExtractor(@TempDir Path dir) throws IOException {
        Net source = trainedNet();
        source.eval();
        Path file = dir.resolve("net.safetensors");
        Checkpoints.saveSafetensors(source, file);
        Net target = new Net();
        target.initialize(manager);
        target.eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(target, List.of("fc"));
        Checkpoints.load(target, file, manager);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomNormal(new Shape(1, 3, 8, 8));
            assertArrayEquals(source.forward(x).toFloatArray(), fx.extract(x).get("fc").toFloatArray());
        }
    }

    @Test
    void strictLoadListsEveryProblemAndLoadsNothing(@TempDir Path dir) throws IOException {
        Net source = trainedNet();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : source.stateDict().entrySet()) {
            tensors.put(e.getKey(), e.getValue().getArray());
        }
        tensors.remove("fc.bias");
        tensors.put("fc.weight", manager.zeros(new Shape(3, 4)));
        tensors.put("head.weight", manager.zeros(new Shape(1)));
        Path file = dir.resolve("bad.safetensors");
        SafeTensors.write(file, tensors, Map.of());
        Net target = trainedNet();
        target.stateDict().get("conv.weight").getArray().muli(0);
        float[] before = values(target, "conv.weight");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.load(target, file, manager));
        String msg = e.getMessage();
        assertTrue(msg.startsWith("Error(s) in loading state_dict for Net:"), msg);
        assertTrue(msg.contains("Missing key(s) in state_dict: \"fc.bias\"."), msg);
        assertTrue(msg.contains("Unexpected key(s) in state_dict: \"head.weight\"."), msg);
        assertTrue(msg.contains("size mismatch for fc.weight: copying a param with shape (3, 4) from checkpoint, the"
                + " shape in current model is (2, 4)."), msg);
        assertTrue(msg.contains("nothing was loaded"), msg);
        assertArrayEquals(before, values(target, "conv.weight"), "the model is untouched");

        LoadReport report = Checkpoints.load(target, file, manager, CheckpointOptions.builder().optStrict(false).build());
        assertEquals(List.of("fc.bias"), report.missingKeys());
        assertEquals(List.of("head.weight"), report.unexpectedKeys());
        assertEquals("fc.weight", report.mismatches().get(0).key());
        assertEquals(source.stateDict().size() - 2, report.loadedCount());
        assertArrayEquals(values(source, "conv.weight"), values(target, "conv.weight"), "matching keys loaded");
        assertFalse(report.isClean());
    }

    @Test
    void halfPrecisionCheckpointIsConvertedToTheModelsType(@TempDir Path dir) throws IOException {
        Net source = trainedNet();
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : source.stateDict().entrySet()) {
            NDArray a = e.getValue().getArray();
            tensors.put(e.getKey(), a.getDataType() == DataType.FLOAT32 ? a.toType(DataType.FLOAT16, false) : a);
        }
        Path file = dir.resolve("half.safetensors");
        SafeTensors.write(file, tensors, Map.of());
        Net target = new Net();
        Checkpoints.load(target, file, manager);
        NDArray w = target.stateDict().get("conv.weight").getArray();
        assertEquals(DataType.FLOAT32, w.getDataType());
        float[] expected = values(source, "conv.weight");
        float[] actual = w.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], Math.abs(expected[i]) * 1e-3 + 1e-4);
        }
    }
}
