package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
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
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.LoadReport;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.FeatureStages;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.GraphModule;
import org.fx4j.fx.Node;
import org.fx4j.fx.NodeOp;
import org.fx4j.fx.TraceOptions;
import org.fx4j.io.Npy;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.Module;
import org.fx4j.nn.StochasticDepth;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every registered backbone passes, parameterised by model ({@code -Dfx4j.models=REGEX}
 * narrows it):
 *
 * <ol>
 *   <li>{@code getGraphNodeNames} equals torchvision 0.14.1's, train and eval;
 *   <li>float64 parity with torchvision, element-wise ({@link #RTOL}, {@link #ATOL}): torchvision's
 *       randomly initialised model in float64 (non-trivial batch-norm statistics, constant-initialised
 *       parameters randomised; see model_parity.py), saved with torch.save and loaded into an
 *       uninitialised fx4j model as float64, gives the same value at every node both sides list whose
 *       torchvision value is a floating-point tensor (every module output and every tensor-valued
 *       function or method; most of fx4j's call_module nodes must be among them), in eval mode, for a
 *       non-square 2x3x64x96 input (ViTs: 2x3x224x224). {@link #ALL_FORMATS} are also loaded from the
 *       legacy format and safetensors. For {@link #TRAINED} models also one training-mode pass (batch
 *       statistics, dropout and stochastic depth at p = 0 on both sides), within {@link #TRAIN_RTOL}
 *       and {@link #TRAIN_ATOL}: every node's value, every buffer after the pass (running statistics,
 *       {@code num_batches_tracked}), and the gradient of every parameter of {@code sum(logits * r)}
 *       for a fixed random {@code r};
 *   <li>without torchvision (float32): an extractor of the stage nodes gives the eager model's output
 *       in eval mode without touching batch-norm counters; an extractor of a model in training mode
 *       starts in training mode, runs the training graph (every batch norm counts the pass) and
 *       back-propagates to every parameter.
 * </ol>
 */
class BackboneContractTest {

    /**
     * Float64 bound in eval mode, element by element: |fx4j - torchvision| <= ATOL * max|torchvision|
     * + RTOL * |torchvision|, the max over the compared array (a node's value). Reached over the 57
     * models: max|diff| at most 1e-14 * max|torchvision| (convnext_large), at most 0.6% of the bound
     * (resnet152).
     */
    static final double RTOL = 5e-12;

    /** Absolute part of the eval bound, relative to the largest magnitude of the compared array. */
    static final double ATOL = 5e-14;

    /**
     * Relative part of the bound of the training pass (node values, buffers, gradients): batch
     * statistics over few values per channel (12 in resnet50's layer4 for a 2x3x64x96 input) amplify
     * round-off about a hundredfold. Reached: max|diff| at most 4e-13 * max|torchvision| (resnet50's
     * node values and gradients), at most 2% of the bound.
     */
    static final double TRAIN_RTOL = 1e-10;

    /** Absolute part of the training-pass bound, relative to the largest magnitude of the array. */
    static final double TRAIN_ATOL = 1e-12;

    /**
     * Floor of the absolute part for gradients, relative to the model's largest gradient: some
     * gradients are zero but for round-off (a batch-norm bias whose output reaches a training-mode
     * batch norm through a 1x1 convolution only shifts channels that the batch norm re-centres), so
     * their own magnitude is no scale.
     */
    static final double GRAD_FLOOR = 1e-13;

    /** Models also compared in training mode: node values, batch-norm buffers and gradients. */
    static final List<String> TRAINED = List.of("resnet50", "mobilenet_v3_large", "efficientnet_b0",
            "regnet_y_400mf", "densenet121", "convnext_tiny", "swin_t", "vit_b_16");

    /**
     * Models also loaded from torch's legacy format and safetensors (reading is independent of the
     * architecture; two cover it, and float64 checkpoints of the large models are costly to write thrice).
     */
    static final List<String> ALL_FORMATS = List.of("resnet18", "resnet50");

    private static final CheckpointOptions FLOAT64 =
            CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build();

    private static final TraceOptions QUIET = TraceOptions.builder().suppressDiffWarning(true).build();

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

    /** The probe images' height and width: non-square, but 224x224 for ViTs (they check the size). */
    private static int[] imageSize(Module model) {
        return model instanceof VisionTransformer ? new int[] {224, 224} : new int[] {64, 96};
    }

    private static List<String> strings(JsonObject o, String key) {
        return new Gson().fromJson(o.get(key), new TypeToken<List<String>>() {}.getType());
    }

    @ParameterizedTest
    @MethodSource("models")
    void nodeNamesMatchTorchvision(String name) {
        TorchvisionReference.assumeAvailable();
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(ModelRegistry.create(name), QUIET);
        JsonObject ref = reference.getAsJsonObject(name);
        assertEquals(strings(ref, "train"), names.train(), name + " train nodes");
        assertEquals(strings(ref, "eval"), names.eval(), name + " eval nodes");
    }

    // ------------------------------------------------------------------ float64 parity

    /** The worst comparison of one kind (eval nodes, train nodes, buffers, gradients) and its failures. */
    static final class Parity {
        final String kind;
        final double rtol;
        final double atol;
        final List<String> failures = new ArrayList<>();
        int count;
        /** Largest max|a - e| / max|e| over the compared arrays (but those below the floor). */
        double worstNormalised;
        /** Largest |a - e| / (atol max|e| + rtol |e|): the share of the bound used (fails above 1). */
        double worstRatio;

        Parity(String kind, double rtol, double atol) {
            this.kind = kind;
            this.rtol = rtol;
            this.atol = atol;
        }

        /**
         * Compares fx4j's array with torchvision's element-wise (float64; integer arrays exactly) and
         * records a failure, with the worst element, if any element is beyond the bound.
         */
        void check(String what, NDArray actual, NDArray expected) {
            check(what, actual, expected, 0);
        }

        /** As {@link #check(String, NDArray, NDArray)}, with {@code floor} added to the absolute bound. */
        void check(String what, NDArray actual, NDArray expected, double floor) {
            count++;
            if (actual == null) {
                failures.add(what + ": fx4j has no value");
                return;
            }
            if (!actual.getShape().equals(expected.getShape()) || actual.getDataType() != expected.getDataType()) {
                failures.add(String.format(Locale.ROOT, "%s: fx4j gives %s %s, torchvision %s %s", what,
                        actual.getDataType(), actual.getShape(), expected.getDataType(), expected.getShape()));
                return;
            }
            if (!expected.getDataType().isFloating()) {
                if (!actual.contentEquals(expected)) {
                    failures.add(String.format(Locale.ROOT, "%s: fx4j %s, torchvision %s", what,
                            Arrays.toString(actual.toLongArray()), Arrays.toString(expected.toLongArray())));
                }
                return;
            }
            try (NDScope scope = new NDScope()) {
                NDArray e = expected.flatten();
                NDArray a = actual.flatten();
                NDArray absE = e.abs();
                double scale = absE.max().getDouble();
                NDArray diff = a.sub(e).abs();
                double absolute = Math.max(atol * scale + floor, Double.MIN_NORMAL);
                NDArray ratio = diff.div(absE.mul(rtol).add(absolute));
                long at = ratio.argMax().getLong();
                double worst = ratio.getDouble(at);
                double normalised = diff.max().getDouble() / Math.max(scale, Double.MIN_NORMAL);
                if (atol * scale >= floor) { // arrays of mere round-off (below the floor) have no scale
                    worstNormalised = Math.max(worstNormalised, Double.isNaN(normalised) ? Double.POSITIVE_INFINITY : normalised);
                }
                worstRatio = Math.max(worstRatio, Double.isNaN(worst) ? Double.POSITIVE_INFINITY : worst);
                if (!(worst <= 1)) {
                    double ref = e.getDouble(at);
                    failures.add(String.format(Locale.ROOT,
                            "%s: |fx4j - torchvision| = %.3g at %s (fx4j %.17g, torchvision %.17g) exceeds"
                                    + " %.0e*max|torchvision|%s + %.0e*|torchvision| = %.3g (%.3gx); max|diff|/max|torchvision| = %.3g",
                            what, diff.getDouble(at), index(at, expected.getShape()), a.getDouble(at), ref, atol,
                            floor > 0 ? String.format(Locale.ROOT, " + %.3g", floor) : "", rtol,
                            absolute + rtol * Math.abs(ref), worst, normalised));
                }
            }
        }

        String summary() {
            return String.format(Locale.ROOT, "%s %d, worst max|diff|/max|ref| %.2g (bound used %.2g)", kind, count,
                    worstNormalised, worstRatio);
        }
    }

    private static String index(long flat, Shape shape) {
        long[] idx = new long[shape.dimension()];
        for (int d = idx.length - 1; d >= 0; d--) {
            idx[d] = flat % shape.get(d);
            flat /= shape.get(d);
        }
        return Arrays.toString(idx);
    }

    /** A model of the registry in float64 with the weights of {@code file}, every key loaded. */
    private static Module loadFloat64(String name, Path file, NDManager manager) throws IOException {
        Module model = ModelRegistry.create(name);
        // Checkpoints.load converts to the parameters' types, float32 for uninitialised ones unless told.
        LoadReport report = Checkpoints.load(model, file, manager, FLOAT64);
        assertTrue(report.isClean(), report.toString());
        assertEquals(model.stateDict().size(), report.loadedCount(), name + " loaded keys");
        for (Map.Entry<String, Parameter> e : model.stateDict().entrySet()) {
            DataType type = e.getValue().getArray().getDataType();
            assertTrue(type == DataType.FLOAT64 || type == DataType.INT64, name + " " + e.getKey() + " is " + type);
        }
        return model;
    }

    /** Sets every dropout and stochastic-depth probability of the model to 0, as model_parity.py does. */
    static void makeDeterministic(Module model) {
        for (Block b : model.namedModules().values()) {
            if (b instanceof Dropout) {
                ((Dropout) b).setProbability(0f);
            } else if (b instanceof StochasticDepth) {
                ((StochasticDepth) b).setProbability(0f);
            }
        }
    }

    /** fx4j's call_module nodes of the eval graph. */
    private static Set<String> callModuleNodes(Module model) {
        List<String> all = FeatureExtraction.getGraphNodeNames(model, QUIET).eval();
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, List.of(all.get(all.size() - 1)));
        return fx.graph(false).nodes().stream()
                .filter(n -> n.op() == NodeOp.CALL_MODULE)
                .map(Node::qualifiedName)
                .collect(Collectors.toCollection(HashSet::new));
    }

    @ParameterizedTest
    @MethodSource("models")
    void float64ParityWithTorchvision(String name) throws IOException {
        TorchvisionReference.assumeAvailable();
        Path dir = Files.createTempDirectory("fx4j-parity-" + name);
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            Module probe = ModelRegistry.create(name);
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(probe, QUIET);
            Files.write(dir.resolve("nodes_eval.txt"), names.eval());
            Files.write(dir.resolve("nodes_train.txt"), names.train());
            int[] size = imageSize(probe);
            boolean trained = TRAINED.contains(name);
            boolean allFormats = ALL_FORMATS.contains(name);
            TorchvisionReference.run(BackboneContractTest.class, "/reference/model_parity.py", name, dir.toString(),
                    Integer.toString(size[0]), Integer.toString(size[1]), allFormats ? "all" : "zip",
                    trained ? "train" : "eval");
            JsonObject meta = JsonParser.parseString(Files.readString(dir.resolve("meta.json"))).getAsJsonObject();
            List<String> evalNodes = strings(meta, "eval");
            String logits = meta.get("logits").getAsString();
            // The intersection below is every node only if the names agree: checked here too, so this
            // test alone cannot compare fewer nodes when a name drifts.
            assertEquals(strings(meta, "all_eval"), names.eval(), name + ": eval node names differ from torchvision's");
            assertEquals(strings(meta, "all_train"), names.train(), name + ": train node names differ from torchvision's");

            // The nodes compared are those both sides list; most of fx4j's module outputs must be among them.
            Set<String> modules = callModuleNodes(probe);
            List<String> comparedModules = strings(meta, "eval_modules");
            assertTrue(modules.containsAll(comparedModules), name + ": compared modules " + comparedModules);
            assertTrue(comparedModules.size() >= 0.75 * modules.size() && evalNodes.contains(logits),
                    String.format(Locale.ROOT, "%s: only %d of fx4j's %d call_module nodes are compared (%s)", name,
                            comparedModules.size(), modules.size(), comparedModules));

            NDArray x = Npy.read(dir.resolve("input.npy"), manager, true);
            assertEquals(new Shape(2, 3, size[0], size[1]), x.getShape());
            assertEquals(DataType.FLOAT64, x.getDataType());
            Parity eval = new Parity("eval nodes", RTOL, ATOL);
            Parity train = new Parity("train nodes", TRAIN_RTOL, TRAIN_ATOL);
            Parity buffers = new Parity("buffers", TRAIN_RTOL, TRAIN_ATOL);
            Parity grads = new Parity("gradients", TRAIN_RTOL, TRAIN_ATOL);
            List<String> files = allFormats
                    ? List.of("weights.pth", "weights_legacy.pth", "weights.safetensors") : List.of("weights.pth");
            try (StateDict expected = Checkpoints.read(dir.resolve("eval.npz"), manager)) {
                assertEquals(new HashSet<>(evalNodes), expected.keys(), name + " eval.npz");
                for (String file : files) {
                    try (NDManager sub = manager.newSubManager()) {
                        Module model = loadFloat64(name, dir.resolve(file), sub);
                        model.eval();
                        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, evalNodes);
                        NDList out = fx.forward(new NDList(x));
                        assertEquals(evalNodes.size(), out.size(), name + " eval outputs");
                        for (String node : evalNodes) {
                            eval.check(name + " eval " + node + " (" + file + ")", out.get(node), expected.get(node));
                        }
                        out.close();
                        if (trained && file.equals(files.get(0))) {
                            trainPass(name, model, x, dir, meta, sub, train, buffers, grads);
                        }
                    }
                }
            }
            List<Parity> checked = trained ? List.of(eval, train, buffers, grads) : List.of(eval);
            System.out.printf(Locale.ROOT, "parity float64 %s (%d of %d call_module nodes, %.0f s): %s%n", name,
                    comparedModules.size(), modules.size(), (System.nanoTime() - start) / 1e9,
                    checked.stream().map(Parity::summary).collect(Collectors.joining("; ")));
            List<String> failures = checked.stream().flatMap(p -> p.failures.stream()).collect(Collectors.toList());
            failures.forEach(f -> System.out.println("  beyond parity: " + f));
            assertTrue(failures.isEmpty(), failures.size() + " arrays beyond float64 parity with torchvision"
                    + (failures.size() > 8 ? " (first 8)" : "") + ":\n  "
                    + String.join("\n  ", failures.subList(0, Math.min(8, failures.size()))));
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * One training-mode pass of the float64 model (dropout and stochastic depth at 0): every train
     * node's value, then the gradient of {@code sum(logits * r)} for every parameter and every buffer
     * after the pass, against torchvision's.
     */
    private static void trainPass(String name, Module model, NDArray x, Path dir, JsonObject meta, NDManager sub,
            Parity train, Parity buffers, Parity grads) throws IOException {
        makeDeterministic(model);
        model.train();
        List<String> trainNodes = strings(meta, "train");
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, trainNodes);
        assertTrue(fx.isTraining(), name + ": the extractor of a model in training mode trains");
        try (StateDict values = Checkpoints.read(dir.resolve("train.npz"), sub);
                StateDict expectedGrads = Checkpoints.read(dir.resolve("grads.npz"), sub);
                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDList out = fx.forward(new ParameterStore(sub, false), new NDList(x), true);
            for (String node : trainNodes) {
                train.check(name + " train " + node, out.get(node), values.get(node));
            }
            NDArray r = Npy.read(dir.resolve("loss_weights.npy"), sub, true);
            gc.backward(out.get(meta.get("logits").getAsString()).mul(r).sum());
            Map<String, Parameter> params = model.namedParameters();
            assertEquals(new TreeSet<>(expectedGrads.keys()), new TreeSet<>(params.keySet()), name + " parameters");
            double largest = 0;
            for (NDArray g : expectedGrads.tensors().values()) {
                largest = Math.max(largest, g.abs().max().getDouble());
            }
            for (Map.Entry<String, Parameter> p : params.entrySet()) {
                grads.check(name + " grad " + p.getKey(), p.getValue().getArray().getGradient(),
                        expectedGrads.get(p.getKey()), GRAD_FLOOR * largest);
            }
        }
        Map<String, Parameter> state = model.stateDict();
        Set<String> bufferKeys = new TreeSet<>(state.keySet());
        bufferKeys.removeAll(model.namedParameters().keySet());
        Path file = dir.resolve("buffers.npz");
        if (!Files.exists(file)) { // torchvision's model has no buffers
            assertEquals(Set.of(), bufferKeys, name + " buffers");
            return;
        }
        try (StateDict expectedBuffers = Checkpoints.read(file, sub)) {
            assertEquals(new TreeSet<>(expectedBuffers.keys()), bufferKeys, name + " buffers");
            for (String key : bufferKeys) {
                buffers.check(name + " buffer " + key, state.get(key).getArray(), expectedBuffers.get(key));
            }
        }
    }

    // ------------------------------------------------------------------ without the reference

    /**
     * Nodes of vision transformers for the checks without the reference (FeatureStages probes other
     * image sizes, which ViTs refuse): module outputs.
     */
    private static final List<String> VIT_NODES =
            List.of("conv_proj", "encoder.layers.encoder_layer_0", "encoder.layers.encoder_layer_5", "encoder.ln");

    /** The stage nodes of a model (module outputs for ViTs) and its last node. */
    private static List<String> stageNodes(Module model) {
        List<String> nodes = new ArrayList<>(model instanceof VisionTransformer ? VIT_NODES : FeatureStages.stageNodes(model));
        List<String> all = FeatureExtraction.getGraphNodeNames(model, QUIET).eval();
        nodes.add(all.get(all.size() - 1));
        return nodes;
    }

    /**
     * The inference pass of an evaluation extractor (batch norms folded into convolutions, Identity and
     * Dropout handed on) against the same graph run as traced, in float64 with random batch-norm
     * statistics and convolution biases: equal near round-off.
     */
    @ParameterizedTest
    @MethodSource("models")
    void foldedInferenceEqualsTheTracedGraphInFloat64(String name) {
        foldedInferenceEqualsTheTracedGraph(name, DataType.FLOAT64, 1e-12);
    }

    /** The registered models whose evaluation graph begins with a convolution the oneDNN program can run. */
    private static final java.util.Set<String> ONEDNN_PROGRAM = java.util.Set.of("resnet18", "resnet34", "resnet50",
            "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet50_2",
            "wide_resnet101_2", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
            "densenet121", "densenet161", "densenet169", "densenet201", "swin_t", "swin_s", "swin_b");

    /**
     * The same in float32, where the oneDNN program runs the beginning of the graphs that have one (ResNets,
     * ResNeXts, Wide ResNets, VGG, DenseNet's stem, Swin's patch convolution; exactly those, loaded and packed):
     * within 1e-5 of the largest value, with random batch-norm statistics and convolution biases.
     */
    @ParameterizedTest
    @MethodSource("models")
    void foldedInferenceEqualsTheTracedGraphInFloat32(String name) {
        foldedInferenceEqualsTheTracedGraph(name, DataType.FLOAT32, 1e-5);
    }

    private static void foldedInferenceEqualsTheTracedGraph(String name, DataType type, double bound) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Module model = ModelRegistry.create(name);
            model.initialize(manager, type);
            Map<String, Block> modules = model.namedModules();
            for (Map.Entry<String, Block> e : modules.entrySet()) {
                if (e.getValue() instanceof BatchNorm2d) {
                    String at = e.getKey().isEmpty() ? "" : e.getKey() + ".";
                    Map<String, Parameter> state = model.stateDict();
                    fill(state.get(at + "weight").getArray(), 0.5, 1.5);
                    fill(state.get(at + "bias").getArray(), -0.5, 0.5);
                    fill(state.get(at + "running_mean").getArray(), -0.5, 0.5);
                    fill(state.get(at + "running_var").getArray(), 0.5, 2);
                } else if (e.getValue() instanceof Conv2d && ((Conv2d) e.getValue()).hasBias()) {
                    // initialised to zero in some models (VGG): a bias dropped on the way would not show
                    fill(model.stateDict().get(e.getKey() + ".bias").getArray(), -0.5, 0.5);
                }
            }
            model.eval();
            List<String> nodes = stageNodes(model);
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, nodes);
            GraphModule graph = fx.graphModule(false);
            int[] size = imageSize(model);
            NDArray x = manager.randomNormal(new Shape(2, 3, size[0], size[1])).toType(type, false);
            NDList folded = fx.forward(new NDList(x));
            int ranFolded = graph.foldedInLastPass();
            if (type == DataType.FLOAT32) {
                assertEquals(ONEDNN_PROGRAM.contains(name), graph.oneDnnInLastPass(),
                        name + ": the oneDNN program ran where the graph has one (" + graph.oneDnnUnavailable()
                                + " / " + graph.oneDnnLastRefusal() + ")");
                assertEquals(ONEDNN_PROGRAM.contains(name), graph.oneDnnUnavailable() == null,
                        name + ": " + graph.oneDnnUnavailable());
            }
            NDList traced = fx.foldBatchNorms(false).forward(new NDList(x));
            // every model with batch norms folds some: graph nodes after a convolution, and those inside
            // Conv2dNormActivation leaves (torchvision's tracer keeps them whole)
            boolean norms = modules.values().stream().anyMatch(b -> b instanceof BatchNorm2d);
            assertEquals(norms, graph.foldablePairs() > 0, name + ": foldable pairs found");
            assertEquals(graph.foldablePairs(), ranFolded, name + ": every foldable pair ran folded");
            for (int i = 0; i < nodes.size(); i++) {
                double err = relativeError(folded.get(i), traced.get(i));
                assertTrue(err <= bound, name + " " + nodes.get(i) + " (" + type + "): folded vs traced, relative error "
                        + err);
            }
        }
    }

    private static void fill(NDArray a, double low, double high) {
        try (NDArray v = a.getManager().randomUniform((float) low, (float) high, a.getShape())
                .toType(a.getDataType(), false)) {
            a.set(new ai.djl.ndarray.index.NDIndex("..."), v);
        }
    }

    private static Map<String, Long> batchCounts(Module model) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map.Entry<String, Block> e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof BatchNorm2d) {
                String key = e.getKey().isEmpty() ? "num_batches_tracked" : e.getKey() + ".num_batches_tracked";
                counts.put(key, model.stateDict().get(key).getArray().getLong());
            }
        }
        return counts;
    }

    static double relativeError(NDArray actual, NDArray expected) {
        try (NDScope scope = new NDScope()) {
            NDArray a = actual.toType(DataType.FLOAT64, false);
            NDArray e = expected.toType(DataType.FLOAT64, false);
            return a.sub(e).abs().max().getDouble() / Math.max(e.abs().max().getDouble(), 1e-12);
        }
    }

    @ParameterizedTest
    @MethodSource("models")
    void extractorMatchesEvalAndTrainsEveryParameter(String name) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Module model = ModelRegistry.create(name);
            model.initialize(manager);
            List<String> nodes = stageNodes(model);
            int[] size = imageSize(model);
            NDArray x = manager.randomNormal(new Shape(2, 3, size[0], size[1]));

            model.eval();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, nodes);
            assertEquals(nodes, fx.outputNames(false));
            assertTrue(!model.isTraining() && !fx.isTraining(),
                    name + ": an extractor of a model in eval mode starts in eval mode, and tracing the training graph"
                            + " leaves the model in it");
            Map<String, Long> counts = batchCounts(model);
            try (NDManager sub = manager.newSubManager()) {
                NDArray eager = model.forward(x);
                NDArray logits = fx.forward(new NDList(x)).get(nodes.size() - 1);
                assertEquals(eager.getShape(), logits.getShape());
                double err = relativeError(logits, eager);
                // the extractor's inference pass folds batch norms: float32 rounding differs, within 1e-5
                assertTrue(err <= 1e-5, name + ": extractor vs eager model, relative error " + err);
            }
            assertEquals(counts, batchCounts(model), name + ": eval passes leave batch-norm counters alone");

            makeDeterministic(model); // stochastic depth would drop whole blocks, and their gradients
            model.train();
            FeatureExtractor trainFx = FeatureExtraction.createFeatureExtractor(model, nodes);
            assertTrue(model.isTraining() && trainFx.isTraining(),
                    name + ": an extractor of a model in training mode starts in training mode, and tracing the eval"
                            + " graph leaves the model in it");
            Map<String, Parameter> params = model.namedParameters();
            try (NDManager sub = manager.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList out = trainFx.forward(new ParameterStore(sub, false), new NDList(x), true);
                assertEquals(nodes, trainFx.outputNames(true));
                NDArray loss = null;
                for (NDArray o : out) { // random weights: no output's gradient cancels by symmetry
                    NDArray term = o.mul(sub.randomNormal(o.getShape())).sum();
                    loss = loss == null ? term : loss.add(term);
                }
                assertTrue(Float.isFinite(loss.getFloat()), name + ": loss " + loss.getFloat());
                gc.backward(loss);
                List<String> without = new ArrayList<>();
                for (Map.Entry<String, Parameter> p : params.entrySet()) {
                    NDArray grad = p.getValue().getArray().getGradient();
                    if (grad == null || !(grad.abs().sum().getFloat() > 0) || !Float.isFinite(grad.sum().getFloat())) {
                        without.add(p.getKey());
                    }
                }
                assertTrue(without.isEmpty(), name + ": no finite non-zero gradient at " + without.size() + " of "
                        + params.size() + " parameters: " + without);
            }
            for (Map.Entry<String, Long> c : batchCounts(model).entrySet()) {
                assertEquals(counts.get(c.getKey()) + 1, c.getValue(),
                        name + ": the training pass ran batch norm " + c.getKey() + " in training mode once");
            }
        }
    }
}
