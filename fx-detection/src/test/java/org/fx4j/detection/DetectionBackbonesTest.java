package org.fx4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code resnetFpnBackbone} against torchvision's {@code resnet_fpn_backbone} (defaults: frozen batch
 * norms, 3 trainable stages, layers 1..4, LastLevelMaxPool): state-dict keys, frozen parameters,
 * graph node names in both modes, error messages, and float64 outputs at odd map sizes with
 * non-trivial frozen statistics and FPN biases, torchvision's state dict loaded strictly.
 */
class DetectionBackbonesTest {

    private static final List<String> NAMES = List.of("resnet18", "resnet50", "mobilenet_v3_large",
            "mobilenet_v2", "mobilenet_v3_small:nofpn");

    /** The backbone a reference name stands for, with torchvision's defaults, or {@code trainable} stages. */
    private static org.fx4j.nn.Module build(String name, Integer trainable) {
        if (name.startsWith("mobilenet")) {
            String model = name.split(":")[0];
            boolean fpn = !name.endsWith(":nofpn");
            return trainable == null ? DetectionBackbones.mobilenetBackbone(model, fpn)
                    : DetectionBackbones.mobilenetBackbone(model, fpn, trainable, null, null, null);
        }
        return trainable == null ? DetectionBackbones.resnetFpnBackbone(name)
                : DetectionBackbones.resnetFpnBackbone(name, trainable, null, null, null);
    }

    @TempDir
    static Path ref;

    private static NDManager manager;
    private static JsonObject summary;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (TorchvisionReference.isAvailable()) {
            List<String> args = new ArrayList<>(List.of(ref.toString()));
            args.addAll(NAMES);
            summary = JsonParser.parseString(TorchvisionReference.run(DetectionBackbonesTest.class,
                    "/reference/backbone_parity.py", args.toArray(new String[0]))).getAsJsonObject();
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static List<String> list(JsonObject o, String key) {
        return new Gson().fromJson(o.get(key), new TypeToken<List<String>>() {}.getType());
    }

    @Test
    void keysFrozenParametersAndNodesAreTorchvisions() {
        TorchvisionReference.assumeAvailable();
        for (String name : NAMES) {
            JsonObject r = summary.getAsJsonObject(name);
            org.fx4j.nn.Module m = build(name, null);
            assertEquals(list(r, "keys"), List.copyOf(m.stateDict().keySet()), name + " keys");
            assertEquals(list(r, "frozen"), frozenParameters(m), name + " frozen parameters");
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(m,
                    TraceOptions.builder().suppressDiffWarning(true).build());
            assertEquals(list(r, "eval"), names.eval(), name + " eval nodes");
            assertEquals(list(r, "train"), names.train(), name + " train nodes");
        }
        assertEquals(174, list(summary.getAsJsonObject("resnet50"), "eval").size());
        assertEquals(11, list(summary.getAsJsonObject("resnet50"), "frozen").size(), "conv1 and layer1's convolutions");
    }

    /** Parameters (not buffers) that do not require a gradient, keyed as in the state dict. */
    static List<String> frozenParameters(org.fx4j.nn.Module m) {
        List<String> out = new ArrayList<>();
        java.util.Map<String, ai.djl.nn.Block> modules = m.namedModules();
        for (java.util.Map.Entry<String, ai.djl.nn.Parameter> e : m.stateDict().entrySet()) {
            int dot = e.getKey().lastIndexOf('.');
            ai.djl.nn.Block owner = dot < 0 ? m : modules.get(e.getKey().substring(0, dot));
            String leaf = e.getKey().substring(dot + 1);
            if (owner instanceof org.fx4j.nn.Module && !((org.fx4j.nn.Module) owner).isBuffer(leaf)
                    && !e.getValue().requiresGradient()) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    @Test
    void errorsAreTorchvisions() {
        TorchvisionReference.assumeAvailable();
        JsonObject errors = summary.getAsJsonObject("errors");
        assertEquals(errors.get("trainable6").getAsString(), assertThrows(IllegalArgumentException.class,
                () -> DetectionBackbones.resnetFpnBackbone("resnet18", 6, null, null, null)).getMessage());
        assertEquals(errors.get("returned05").getAsString(), assertThrows(IllegalArgumentException.class,
                () -> DetectionBackbones.resnetFpnBackbone("resnet18", 3, List.of(0, 5), null, null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> DetectionBackbones.resnetFpnBackbone("resnet19"))
                .getMessage().contains("unknown ResNet 'resnet19'; known: resnet18"));
    }

    @Test
    void outputsMatchTorchvisionInFloat64() throws IOException {
        TorchvisionReference.assumeAvailable();
        for (String name : NAMES) {
            org.fx4j.nn.Module m = build(name, null);
            try (NDManager sub = manager.newSubManager()) {
                Checkpoints.load(m, ref.resolve(name + "_state.npz"), sub,
                        CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build());
                m.eval();
                try (StateDict input = Checkpoints.read(ref.resolve(name + "_input.npz"), sub);
                        StateDict expected = Checkpoints.read(ref.resolve(name + "_outputs.npz"), sub)) {
                    NDList y = m.forward(new NDList(input.get("x")));
                    if (name.endsWith(":nofpn")) {
                        y.get(0).setName("out");
                    }
                    List<String> outNames = new ArrayList<>();
                    y.forEach(a -> outNames.add(a.getName()));
                    assertEquals(List.copyOf(expected.keys()), outNames, name);
                    for (NDArray out : y) {
                        NDArray e = expected.get(out.getName());
                        assertEquals(e.getShape(), out.getShape(), name + " " + out.getName());
                        double max = e.abs().max().getDouble();
                        double[] a = out.toDoubleArray();
                        double[] b = e.toDoubleArray();
                        double worst = 0;
                        for (int i = 0; i < a.length; i++) {
                            assertTrue(Math.abs(a[i] - b[i]) <= 5e-14 * max + 5e-12 * Math.abs(b[i]),
                                    name + " " + out.getName() + "[" + i + "]: " + a[i] + " vs torchvision " + b[i]);
                            worst = Math.max(worst, Math.abs(a[i] - b[i]) / max);
                        }
                        System.out.printf("backbone parity float64 %s %s %s: worst |diff|/max|ref| %.1e%n", name,
                                out.getName(), out.getShape(), worst);
                    }
                }
            }
        }
    }
}
