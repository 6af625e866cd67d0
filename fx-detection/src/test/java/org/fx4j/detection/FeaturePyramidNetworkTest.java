package org.fx4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FeaturePyramidNetwork against torchvision 0.14.1 in float64: the same weights (non-zero biases,
 * batch-norm statistics), the same inputs at odd sizes (13 -> 25, 7 -> 13, 17 -> 34 upsampling), every
 * output element within round-off; state-dict keys equal torchvision's.
 */
class FeaturePyramidNetworkTest {

    private static final List<Integer> IN = List.of(8, 16, 32, 64);

    @TempDir
    static Path ref;

    private static NDManager manager;
    private static JsonObject summary;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (TorchvisionReference.isAvailable()) {
            summary = JsonParser.parseString(TorchvisionReference.run(FeaturePyramidNetworkTest.class,
                    "/reference/fpn_parity.py", ref.toString())).getAsJsonObject();
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static final Map<String, Supplier<FeaturePyramidNetwork>> CASES = Map.of(
            "maxpool", () -> new FeaturePyramidNetwork(IN, 16, new LastLevelMaxPool()),
            "p6p7_from_c5", () -> new FeaturePyramidNetwork(IN, 16, new LastLevelP6P7(64, 16)),
            "p6p7_from_p5", () -> new FeaturePyramidNetwork(IN, 16, new LastLevelP6P7(16, 16)),
            "none_batchnorm", () -> new FeaturePyramidNetwork(IN, 16, null, BatchNorm2d::new));

    @Test
    void matchesTorchvisionInFloat64() throws IOException {
        TorchvisionReference.assumeAvailable();
        for (Map.Entry<String, Supplier<FeaturePyramidNetwork>> c : CASES.entrySet()) {
            String name = c.getKey();
            FeaturePyramidNetwork fpn = c.getValue().get();
            List<String> keys = new ArrayList<>();
            summary.getAsJsonObject(name).getAsJsonArray("keys").forEach(k -> keys.add(k.getAsString()));
            assertEquals(keys, List.copyOf(fpn.stateDict().keySet()), name + ": torchvision's state-dict keys");
            try (NDManager m = manager.newSubManager()) {
                Checkpoints.load(fpn, ref.resolve(name + "_state.npz"), m,
                        CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build());
                fpn.eval();
                NDList x = new NDList();
                try (StateDict inputs = Checkpoints.read(ref.resolve(name + "_inputs.npz"), m);
                        StateDict expected = Checkpoints.read(ref.resolve(name + "_outputs.npz"), m)) {
                    for (String k : List.of("0", "1", "2", "3")) {
                        NDArray level = inputs.get(k).duplicate();
                        level.setName(k);
                        x.add(level);
                    }
                    NDList y = fpn.forward(x);
                    assertEquals(List.copyOf(expected.keys()), names(y), name + ": output names and order");
                    for (NDArray out : y) {
                        NDArray e = expected.get(out.getName());
                        assertEquals(e.getShape(), out.getShape(), name + " " + out.getName());
                        assertEquals(DataType.FLOAT64, out.getDataType());
                        double max = e.abs().max().getDouble();
                        double[] a = out.toDoubleArray();
                        double[] b = e.toDoubleArray();
                        double worst = 0;
                        for (int i = 0; i < a.length; i++) {
                            double bound = 5e-14 * max + 5e-12 * Math.abs(b[i]);
                            assertTrue(Math.abs(a[i] - b[i]) <= bound, name + " " + out.getName() + "[" + i + "]: "
                                    + a[i] + " vs torchvision " + b[i]);
                            worst = Math.max(worst, Math.abs(a[i] - b[i]) / max);
                        }
                        System.out.printf("fpn parity float64 %s %s: worst |diff|/max|ref| %.1e%n", name,
                                out.getName(), worst);
                    }
                }
            }
        }
    }

    private static List<String> names(NDList list) {
        List<String> out = new ArrayList<>();
        list.forEach(a -> out.add(a.getName()));
        return out;
    }

    @Test
    void structureInitAndBadInputs() {
        FeaturePyramidNetwork fpn = new FeaturePyramidNetwork(IN, 16, new LastLevelMaxPool());
        assertEquals(5, fpn.outputCount());
        assertEquals(List.of("pool"), fpn.extraNames());
        try (NDManager m = manager.newSubManager()) {
            fpn.initialize(m);
            for (Map.Entry<String, ai.djl.nn.Parameter> p : fpn.stateDict().entrySet()) {
                NDArray v = p.getValue().getArray();
                if (p.getKey().endsWith("bias")) {
                    assertEquals(0.0, v.abs().max().toType(DataType.FLOAT64, false).getDouble(), p.getKey() + ": zero bias");
                } else {
                    // kaiming_uniform_(a=1): U(-b, b), b = sqrt(6 / ((1 + a^2) * fan_in)) = sqrt(3 / fan_in)
                    long fanIn = v.getShape().size() / v.getShape().get(0);
                    double bound = Math.sqrt(3.0 / fanIn);
                    double max = v.abs().max().toType(DataType.FLOAT64, false).getDouble();
                    assertTrue(max <= bound && max > 0.8 * bound, p.getKey() + ": " + max + " in U(-" + bound + ")");
                }
            }
            NDList wrongCount = new NDList(m.zeros(new Shape(1, 8, 8, 8)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> fpn.forward(wrongCount)).getMessage()
                    .contains("built for 4 input levels, got 1"));
            NDList wrongChannels = new NDList(m.zeros(new Shape(1, 8, 8, 8)), m.zeros(new Shape(1, 15, 4, 4)),
                    m.zeros(new Shape(1, 32, 2, 2)), m.zeros(new Shape(1, 64, 1, 1)));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> fpn.forward(wrongChannels)).getMessage()
                    .contains("level 1"));
        }
        assertThrows(IllegalArgumentException.class, () -> new FeaturePyramidNetwork(List.of(8, 0), 16, null));
    }
}
