package org.fx4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import org.fx4j.models.ResNets;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;

/**
 * The FPN traced inside a model, as torch.fx traces torchvision's: one {@code fpn} node whose dict
 * output gets a {@code getitem} node only for the levels the caller reads. The seed's
 * Resnet50WithFPN lists torchvision's 174 nodes; an extractor of its {@code fpn} node runs and equals
 * the eager forward.
 */
class FpnTracingTest {

    private static final TraceOptions QUIET = TraceOptions.builder().suppressDiffWarning(true).build();

    /** The seed's Resnet50WithFPN: {@code body}, an extractor of resnet50's layer1..layer4, then {@code fpn}. */
    static final class Resnet50WithFpn extends Module {
        private final FeatureExtractor body;
        private final FeaturePyramidNetwork fpn;
        private final boolean onlyPool;

        Resnet50WithFpn(boolean onlyPool) {
            body = register("body", FeatureExtraction.createFeatureExtractor(
                    ResNets.resnet50(), Map.of("layer1", "0", "layer2", "1", "layer3", "2", "layer4", "3")));
            fpn = register("fpn", new FeaturePyramidNetwork(List.of(256, 512, 1024, 2048), 256,
                    new LastLevelMaxPool()));
            this.onlyPool = onlyPool;
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            NDList levels = fpn.call(ctx, body.call(ctx, inputs));
            return onlyPool ? new NDList(levels.get(4)) : levels;
        }
    }

    /** Two levels named as given: c1 (8 channels), then c2 (16 channels, stride 2). */
    static final class Body extends Module {
        private final Conv2d c1 = register("c1", Conv2d.builder().setInChannels(3).setOutChannels(8).setKernelSize(1)
                .build());
        private final Conv2d c2 = register("c2", Conv2d.builder().setInChannels(8).setOutChannels(16).setKernelSize(1)
                .optStride(2).build());
        private final String[] names;

        Body(String... names) {
            this.names = names;
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray a = c1.call(ctx, inputs.get(0));
            NDArray b = c2.call(ctx, a);
            a.setName(names[0]);
            b.setName(names[1]);
            return new NDList(a, b);
        }
    }

    /** Reads level "0" of the dict it is given. */
    static final class Head extends Module {
        @Override
        public NDList forward(ForwardContext ctx, NDList levels) {
            return new NDList(F.mul(levels.get(0), 2));
        }
    }

    /** body, fpn, then a traced head given the whole dict. */
    static final class HeadReads extends Module {
        private final Body body = register("body", new Body("0", "1"));
        private final FeaturePyramidNetwork fpn = register("fpn", new FeaturePyramidNetwork(List.of(8, 16), 8,
                new LastLevelMaxPool()));
        private final Head head = register("head", new Head());

        @Override
        public NDList forward(ForwardContext ctx, NDList x) {
            return head.call(ctx, fpn.call(ctx, body.call(ctx, x)));
        }
    }

    /** body then fpn, returning the dict. */
    static final class Backbone extends Module {
        final Body body;
        final FeaturePyramidNetwork fpn = register("fpn", new FeaturePyramidNetwork(List.of(8, 16), 8,
                new LastLevelMaxPool()));

        Backbone(String... names) {
            body = registerFirst(names);
        }

        private Body registerFirst(String... names) {
            return register("body", new Body(names));
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList x) {
            return fpn.call(ctx, body.call(ctx, x));
        }
    }

    /** A backbone child returning the dict; the parent reads "1". */
    static final class ParentReads extends Module {
        private final Backbone backbone = register("backbone", new Backbone("0", "1"));

        @Override
        public NDList forward(ForwardContext ctx, NDList x) {
            return new NDList(F.mul(backbone.call(ctx, x).get(1), 2));
        }
    }

    /** The FPN's dict returned after level "0" was updated in place. */
    static final class Partial extends Module {
        private final Backbone backbone = register("backbone", new Backbone("0", "1"));

        @Override
        public NDList forward(ForwardContext ctx, NDList x) {
            NDList o = backbone.fpn.call(ctx, backbone.body.call(ctx, x));
            o.get(0).addi(1);
            return o;
        }
    }

    @Test
    void getitemNodesAreRecordedWhereTheDictIsRead() throws IOException {
        TorchvisionReference.assumeAvailable();
        JsonObject ref = JsonParser.parseString(TorchvisionReference.run(FpnTracingTest.class,
                "/reference/fpn_nodes.py")).getAsJsonObject();
        Map<String, Module> models = Map.of("head_reads", new HeadReads(), "parent_reads", new ParentReads(),
                "partial", new Partial());
        for (Map.Entry<String, Module> e : models.entrySet()) {
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(e.getValue(), QUIET);
            assertEquals(list(ref.getAsJsonObject(e.getKey()), "eval"), names.eval(), e.getKey());
            assertEquals(list(ref.getAsJsonObject(e.getKey()), "train"), names.train(), e.getKey());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            for (Module model : List.of(new HeadReads(), new ParentReads())) {
                model.initialize(m);
                model.eval();
                NDArray x = m.randomUniform(0f, 1f, new Shape(1, 3, 13, 17));
                NDList eager = model.forward(new NDList(x));
                String last = FeatureExtraction.getGraphNodeNames(model, QUIET).eval().get(
                        FeatureExtraction.getGraphNodeNames(model, QUIET).eval().size() - 1);
                FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model,
                        org.fx4j.features.ReturnNodes.of(List.of(last)), QUIET);
                fx.eval();
                // Bit for bit: the graph node by node (the oneDNN program's convolutions round differently).
                fx.useOneDnn(false);
                assertTrue(eager.get(0).allClose(fx.forward(new NDList(x)).get(0), 0, 0, false), last);
            }
        }
    }

    @Test
    void levelNamesSurviveTracingAndRetracing() {
        try (NDManager m = NDManager.newBaseManager()) {
            Backbone backbone = new Backbone("c3", "c4");
            backbone.initialize(m);
            backbone.eval();
            NDArray x = m.randomUniform(0f, 1f, new Shape(1, 3, 13, 17));
            NDList eager = backbone.forward(new NDList(x));
            List<String> eagerNames = new ArrayList<>();
            eager.forEach(a -> eagerNames.add(a.getName()));
            assertEquals(List.of("c3", "c4", "pool"), eagerNames);
            FeatureExtractor traced = DetectionBackbones.traced(backbone);
            traced.eval();
            traced.useOneDnn(false); // compared bit for bit below: the graph node by node
            NDList levels = traced.forward(new NDList(x));
            List<String> tracedNames = new ArrayList<>();
            levels.forEach(a -> tracedNames.add(a.getName()));
            assertEquals(List.of("fpn.c3", "fpn.c4", "fpn.pool"), tracedNames, "the body's names reach the FPN");
            for (int i = 0; i < 3; i++) {
                assertTrue(eager.get(i).allClose(levels.get(i), 0, 0, false), eagerNames.get(i));
            }
            traced.useOneDnn(true); // the body as the inference pass's oneDNN program: within float32 rounding
            NDList program = traced.forward(new NDList(x));
            assertTrue(traced.graphModule(false).oneDnnInLastPass());
            for (int i = 0; i < 3; i++) {
                double max = eager.get(i).abs().max().getFloat();
                assertTrue(eager.get(i).allClose(program.get(i), 0, 1e-5 * max, false), eagerNames.get(i));
            }
            traced.useOneDnn(false);
            // A module holding the traced backbone traces again and sees its three levels.
            Module wrapper = new Module() {
                private final FeatureExtractor inner = register("inner", traced);

                @Override
                public NDList forward(ForwardContext ctx, NDList in) {
                    NDList l = inner.call(ctx, in);
                    if (l.size() != 3) {
                        throw new IllegalStateException("expected 3 levels, got " + l.size());
                    }
                    return new NDList(F.add(l.get(0), 1));
                }
            };
            List<String> nodes = FeatureExtraction.getGraphNodeNames(wrapper, QUIET).eval();
            assertEquals("add", nodes.get(nodes.size() - 1), nodes.toString());
            FeatureExtractor outer = FeatureExtraction.createFeatureExtractor(wrapper,
                    org.fx4j.features.ReturnNodes.of(List.of("add")), QUIET);
            outer.eval();
            outer.useOneDnn(false); // bit for bit below
            assertTrue(outer.forward(new NDList(x)).get(0).allClose(eager.get(0).add(1), 0, 0, false));
        }
    }

    /** An extractor body with its own return names, then an FPN: the seed's pattern with other keys. */
    static final class ExtractorThenFpn extends Module {
        private final FeatureExtractor body;
        private final FeaturePyramidNetwork fpn = register("fpn", new FeaturePyramidNetwork(List.of(8, 16), 8,
                new LastLevelMaxPool()));

        ExtractorThenFpn() {
            Map<String, String> names = new java.util.LinkedHashMap<>();
            names.put("c1", "feat1");
            names.put("c2", "feat2");
            body = registerBody(FeatureExtraction.createFeatureExtractor(new Body("a", "b"), names));
        }

        private FeatureExtractor registerBody(FeatureExtractor fx) {
            return register("body", fx);
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList x) {
            return fpn.call(ctx, body.call(ctx, x));
        }
    }

    @Test
    void returnNamesOfAReTracedBodyKeyTheLevels() {
        try (NDManager m = NDManager.newBaseManager()) {
            ExtractorThenFpn model = new ExtractorThenFpn();
            model.initialize(m);
            model.eval();
            NDArray x = m.randomUniform(0f, 1f, new Shape(1, 3, 13, 17));
            NDList eager = model.forward(new NDList(x));
            List<String> eagerNames = new ArrayList<>();
            eager.forEach(a -> eagerNames.add(a.getName()));
            assertEquals(List.of("feat1", "feat2", "pool"), eagerNames);
            FeatureExtractor traced = DetectionBackbones.traced(model);
            traced.eval();
            List<String> tracedNames = new ArrayList<>();
            NDList levels = traced.forward(new NDList(x));
            levels.forEach(a -> tracedNames.add(a.getName()));
            assertEquals(List.of("fpn.feat1", "fpn.feat2", "fpn.pool"), tracedNames);
            for (int i = 0; i < 3; i++) {
                assertTrue(eager.get(i).allClose(levels.get(i), 0, 0, false), eagerNames.get(i));
            }
        }
    }

    @Test
    void getterReturnsChildOrderAndFpnRefusesDuplicateNames() {
        IntermediateLayerGetter getter = new IntermediateLayerGetter(ResNets.resnet18(),
                new java.util.LinkedHashMap<>(Map.of("layer4", "a")));
        Map<String, String> reversed = new java.util.LinkedHashMap<>();
        reversed.put("layer4", "a");
        reversed.put("layer2", "b");
        IntermediateLayerGetter both = new IntermediateLayerGetter(ResNets.resnet18(), reversed);
        try (NDManager m = NDManager.newBaseManager()) {
            both.initialize(m);
            both.eval();
            NDList out = both.forward(new NDList(m.randomUniform(0f, 1f, new Shape(1, 3, 64, 64))));
            assertEquals("b", out.get(0).getName(), "layer2 first, as the model's children come");
            assertEquals(new Shape(1, 512, 2, 2), out.get(1).getShape());
            FeaturePyramidNetwork fpn = new FeaturePyramidNetwork(List.of(8, 8), 8, null);
            fpn.initialize(m);
            NDArray a = m.zeros(new Shape(1, 8, 4, 4));
            NDArray b = m.zeros(new Shape(1, 8, 2, 2));
            a.setName("p");
            b.setName("p");
            assertTrue(org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> fpn.forward(new NDList(a, b))).getMessage().contains("distinct names"));
            b.setName(null);
            List<String> names = new ArrayList<>();
            fpn.forward(new NDList(a, b)).forEach(l -> names.add(l.getName()));
            assertEquals(List.of("0", "1"), names, "unnamed levels are keyed by position");
        }
        assertEquals(1, getter.namedChildren().stream().filter(c -> c.getKey().equals("layer4")).count());
    }

    private static List<String> list(JsonObject o, String key) {
        return new Gson().fromJson(o.get(key), new TypeToken<List<String>>() {}.getType());
    }

    @Test
    void seedListsTorchvisionsNodes() throws IOException {
        TorchvisionReference.assumeAvailable();
        JsonObject ref = JsonParser.parseString(TorchvisionReference.run(FpnTracingTest.class,
                "/reference/fpn_nodes.py")).getAsJsonObject();
        for (String name : List.of("seed", "seed_pool")) {
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(new Resnet50WithFpn(name.equals("seed_pool")),
                    QUIET);
            JsonObject r = ref.getAsJsonObject(name);
            assertEquals(list(r, "eval"), names.eval(), name);
            assertEquals(list(r, "train"), names.train(), name);
        }
        assertEquals(174, list(ref.getAsJsonObject("seed"), "eval").size());
        List<String> pool = list(ref.getAsJsonObject("seed_pool"), "eval");
        assertEquals(List.of("fpn", "getitem"), pool.subList(pool.size() - 2, pool.size()));
    }

    @Test
    void anExtractorOfTheFpnNodeEqualsTheEagerForward() {
        Resnet50WithFpn model = new Resnet50WithFpn(false);
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            model.initialize(m);
            model.eval();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(model, org.fx4j.features.ReturnNodes.of(List.of("fpn")), QUIET);
            fx.eval();
            NDArray x = m.randomUniform(0f, 1f, new Shape(1, 3, 96, 128));
            NDList eager = model.forward(new NDList(x));
            NDList extracted = fx.forward(new NDList(x));
            List<String> names = new ArrayList<>();
            extracted.forEach(a -> names.add(a.getName()));
            assertEquals(List.of("fpn.0", "fpn.1", "fpn.2", "fpn.3", "fpn.pool"), names);
            for (int i = 0; i < eager.size(); i++) {
                assertEquals(eager.get(i).getShape(), extracted.get(i).getShape());
                assertTrue(eager.get(i).allClose(extracted.get(i), 0, 0, false), names.get(i));
            }
            assertEquals(new Shape(1, 256, 2, 2), extracted.get(4).getShape(), "pool: P5 (3x4) subsampled by 2");
        }
    }
}
