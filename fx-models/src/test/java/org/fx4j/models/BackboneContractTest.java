package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.LoadReport;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.FeatureStages;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import org.fx4j.io.Npy;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every registered backbone passes, parameterised by model ({@code -Dfx4j.models=REGEX}
 * narrows it):
 *
 * <ol>
 *   <li>{@code getGraphNodeNames} equals torchvision 0.14.1's, train and eval (for models torchvision
 *       cannot trace, that it fails and fx4j does not);
 *   <li>torchvision's randomly initialised model (non-trivial batch-norm statistics, zero-initialised
 *       parameters randomised), saved with torch.save and loaded into the fx4j model, gives the same
 *       stage features and logits within {@link #TOLERANCE} (ResNets also from the legacy format and
 *       safetensors);
 *   <li>an extractor of those nodes gives the eager model's output in eval mode, and in train mode runs
 *       the training graph, back-propagates to the stem and leaves the model's mode as it was.
 * </ol>
 */
class BackboneContractTest {

    /** Largest |fx4j - torchvision| over the largest |torchvision|, per output. */
    static final double TOLERANCE = 1e-4;

    private static final TraceOptions QUIET = TraceOptions.builder().suppressDiffWarning(true).build();

    /** Module outputs compared for vision transformers (plus the last node, heads.head). */
    private static final List<String> VIT_NODES =
            List.of("conv_proj", "encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_5", "encoder.ln");

    private static JsonObject reference;

    static List<String> models() {
        return ModelSelection.models();
    }

    @BeforeAll
    static void loadReference() throws IOException {
        Engine.getInstance().setRandomSeed(5);
        if (!TorchvisionReference.isAvailable()) {
            return;
        }
        String json = TorchvisionReference.run(
                BackboneContractTest.class, "/reference/graph_nodes.py", models().toArray(new String[0]));
        reference = JsonParser.parseString(json).getAsJsonObject();
    }

    /** The input side of the probe images: ViTs take 224px only. */
    private static int imageSize(Module model) {
        return model instanceof VisionTransformer ? 224 : 64;
    }

    /**
     * The compared nodes of an initialised model: its stages and its last node. ViTs are compared
     * at module outputs (torchvision cannot trace them).
     */
    private static List<String> comparedNodes(Module model) {
        List<String> nodes = new ArrayList<>(model instanceof VisionTransformer ? VIT_NODES : FeatureStages.stageNodes(model));
        List<String> all = FeatureExtraction.getGraphNodeNames(model, QUIET).eval();
        nodes.add(all.get(all.size() - 1));
        return nodes;
    }

    static double relativeError(NDArray actual, NDArray expected) {
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloatArray();
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < a.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - e[i]));
            maxRef = Math.max(maxRef, Math.abs(e[i]));
        }
        return maxDiff / Math.max(maxRef, 1e-12);
    }

    @ParameterizedTest
    @MethodSource("models")
    void nodeNamesMatchTorchvision(String name) {
        TorchvisionReference.assumeAvailable();
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(ModelRegistry.create(name), QUIET);
        JsonObject ref = reference.getAsJsonObject(name);
        if (ref.has("error")) {
            // Beyond torchvision: its tracer fails on this model (ViT's `n, c, h, w = x.shape`); fx4j traces it.
            assertTrue(ref.get("error").getAsString().contains("Proxy object cannot be iterated"), ref.toString());
            assertTrue(names.eval().contains("heads.head") && names.train().equals(names.eval()), names.eval().toString());
            return;
        }
        Gson gson = new Gson();
        List<String> train = gson.fromJson(ref.get("train"), new TypeToken<List<String>>() {}.getType());
        List<String> eval = gson.fromJson(ref.get("eval"), new TypeToken<List<String>>() {}.getType());
        assertEquals(train, names.train(), name + " train nodes");
        assertEquals(eval, names.eval(), name + " eval nodes");
    }

    @ParameterizedTest
    @MethodSource("models")
    void featuresAndLogitsMatchTorchvision(String name) throws IOException {
        TorchvisionReference.assumeAvailable();
        Path dir = Files.createTempDirectory("fx4j-parity-" + name);
        try (NDManager manager = NDManager.newBaseManager()) {
            Module probe = ModelRegistry.create(name);
            probe.initialize(manager);
            List<String> nodes = comparedNodes(probe);
            boolean allFormats = name.startsWith("res") || name.startsWith("wide_res");
            TorchvisionReference.run(BackboneContractTest.class, "/reference/model_parity.py", name, dir.toString(),
                    String.join(",", nodes), allFormats ? "all" : "zip", Integer.toString(imageSize(probe)));
            NDArray x = Npy.read(dir.resolve("input.npy"), manager);
            try (StateDict expected = Checkpoints.read(dir.resolve("expected.npz"), manager)) {
                double worst = 0;
                List<String> files = allFormats
                        ? List.of("weights.pth", "weights_legacy.pth", "weights.safetensors") : List.of("weights.pth");
                for (String file : files) {
                    try (NDManager sub = manager.newSubManager()) {
                        Module model = ModelRegistry.create(name);
                        LoadReport report = Checkpoints.load(model, dir.resolve(file), sub);
                        assertTrue(report.isClean(), report.toString());
                        assertEquals(model.stateDict().size(), report.loadedCount());
                        model.eval();
                        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, nodes);
                        NDList out = fx.forward(new NDList(x));
                        for (NDArray a : out) {
                            NDArray e = expected.get(a.getName());
                            assertEquals(e.getShape(), a.getShape(), name + " " + a.getName());
                            double err = relativeError(a, e);
                            worst = Math.max(worst, err);
                            assertTrue(err <= TOLERANCE, String.format(Locale.ROOT,
                                    "%s %s from %s: relative error %.3g > %.0e", name, a.getName(), file, err, TOLERANCE));
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "parity %s: worst relative error %.3g over %s, nodes %s%n", name, worst,
                        files, nodes);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void extractorMatchesEvalAndTrainsToTheStem(String name) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Module model = ModelRegistry.create(name);
            model.initialize(manager);
            List<String> nodes = comparedNodes(model);
            int size = imageSize(model);
            NDArray x = manager.randomNormal(new Shape(2, 3, size, size));

            model.eval();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, nodes);
            assertEquals(nodes, fx.outputNames(false));
            assertTrue(!model.isTraining() && !fx.isTraining(), "extraction keeps the model's mode");
            try (NDManager sub = manager.newSubManager()) {
                NDArray eager = model.forward(x);
                NDArray logits = fx.forward(new NDList(x)).get(nodes.size() - 1);
                assertEquals(eager.getShape(), logits.getShape());
                double err = relativeError(logits, eager);
                assertTrue(err <= 1e-6, name + ": extractor vs eager model, relative error " + err);
            }

            model.train();
            fx.train();
            Map<String, Parameter> params = model.namedParameters();
            Map.Entry<String, Parameter> stem = params.entrySet().iterator().next();
            try (NDManager sub = manager.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = fx.forward(new ParameterStore(sub, false), new NDList(x), true);
                assertEquals(nodes, fx.outputNames(true));
                NDArray loss = out.get(0).mean();
                for (int i = 1; i < out.size(); i++) {
                    loss = loss.add(out.get(i).mean());
                }
                assertTrue(Float.isFinite(loss.getFloat()), name + ": loss " + loss.getFloat());
                gc.backward(loss);
                NDArray grad = stem.getValue().getArray().getGradient();
                assertNotNull(grad, name + ": no gradient at " + stem.getKey());
                assertTrue(grad.abs().sum().getFloat() > 0, name + ": zero gradient at " + stem.getKey());
            }
            assertTrue(model.isTraining(), "the model stays in training mode");
        }
    }
}
