package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.LeafModule;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;

/**
 * Extractors inside other modules trace again, named as torch.fx names a re-traced graph module: the
 * seed's {@code Resnet50WithFPN} lists torchvision's 174 nodes ({@code body.add_13}, {@code
 * body.layer4.2.relu_2}, {@code fpn}), and extractors of every model family re-trace and run.
 */
class RetraceTest {

    private static final TraceOptions QUIET = TraceOptions.builder().suppressDiffWarning(true).build();

    /** Stands for the FPN (a leaf in torchvision): takes the four maps, returns one array. */
    static final class PyramidLeaf extends LeafModule {
        @Override
        public NDList forward(ForwardContext ctx, NDList maps) {
            NDArray sum = null;
            for (NDArray m : maps) {
                NDArray pooled = m.mean(new int[] {1, 2, 3});
                sum = sum == null ? pooled : sum.add(pooled);
            }
            return new NDList(sum);
        }
    }

    /** The seed's wrapper: {@code body} an extractor of resnet50's layer1..layer4, then {@code fpn}. */
    static final class Resnet50WithPyramid extends Module {
        private final FeatureExtractor body;
        private final PyramidLeaf fpn;

        Resnet50WithPyramid(Module resnet) {
            body = register("body", FeatureExtraction.createFeatureExtractor(
                    resnet, Map.of("layer1", "0", "layer2", "1", "layer3", "2", "layer4", "3")));
            fpn = register("fpn", new PyramidLeaf());
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList inputs) {
            return ctx.call(fpn, ctx.call(body, inputs));
        }
    }

    @Test
    void resnet50WithFpnListsTorchvisionsNodes() throws IOException {
        TorchvisionReference.assumeAvailable();
        Module wrapper = new Resnet50WithPyramid(ResNets.resnet50());
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(wrapper, QUIET);
        JsonObject ref = JsonParser.parseString(TorchvisionReference.run(RetraceTest.class,
                "/reference/retrace_nodes.py")).getAsJsonObject().getAsJsonObject("seed");
        List<String> train = new com.google.gson.Gson().fromJson(ref.get("train"), new TypeToken<List<String>>() {}.getType());
        List<String> eval = new com.google.gson.Gson().fromJson(ref.get("eval"), new TypeToken<List<String>>() {}.getType());
        assertEquals(174, eval.size());
        assertEquals(eval, names.eval());
        assertEquals(train, names.train());
    }

    /** A module whose body is an extractor of {@code model}'s last eval node. */
    private static Module wrapperOfLastNode(Module model) {
        List<String> all = FeatureExtraction.getGraphNodeNames(model, QUIET).eval();
        FeatureExtractor inner = FeatureExtraction.createFeatureExtractor(model, List.of(all.get(all.size() - 1)));
        Module wrapper = new Module() {
            private final FeatureExtractor body = register("body", inner);

            @Override
            public NDList forward(ForwardContext ctx, NDList inputs) {
                return ctx.call(body, inputs);
            }
        };
        wrapper.eval();
        return wrapper;
    }

    /**
     * Re-traced names equal torch.fx's for a re-traced graph module, including pruned shape reads and
     * checks (ViT) and multi-output leaves read by getitem (ViT's self_attention).
     */
    @Test
    void reTracedExtractorsListTorchvisionsNodes() throws IOException {
        TorchvisionReference.assumeAvailable();
        List<String> models = List.of("resnet18", "vit_b_16", "swin_t", "mobilenet_v3_small");
        JsonObject ref = JsonParser.parseString(TorchvisionReference.run(RetraceTest.class,
                "/reference/retrace_nodes.py", models.toArray(new String[0]))).getAsJsonObject();
        for (String name : models) {
            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(wrapperOfLastNode(ModelRegistry.create(name)), QUIET);
            JsonObject r = ref.getAsJsonObject(name);
            List<String> train = new com.google.gson.Gson().fromJson(r.get("train"), new TypeToken<List<String>>() {}.getType());
            List<String> eval = new com.google.gson.Gson().fromJson(r.get("eval"), new TypeToken<List<String>>() {}.getType());
            assertEquals(eval, names.eval(), name + " (eval)");
            assertEquals(train, names.train(), name + " (train)");
        }
    }

    @Test
    void extractorsOfEveryFamilyTraceAgainAndRun() {
        for (String name : List.of("resnet18", "mobilenet_v3_small", "efficientnet_b0", "regnet_x_400mf",
                "convnext_tiny", "swin_t", "vit_b_32", "densenet121")) {
            Module model = ModelRegistry.create(name);
            try (NDManager manager = NDManager.newBaseManager()) {
                model.initialize(manager);
                model.eval();
                Module wrapper = wrapperOfLastNode(model);
                FeatureExtractor outer = FeatureExtraction.createFeatureExtractor(
                        wrapper, org.fx4j.features.ReturnNodes.of(List.of("body")), QUIET);
                int size = name.startsWith("vit") ? 224 : 64;
                NDArray x = manager.randomNormal(new Shape(1, 3, size, size));
                NDArray expected = model.forward(x);
                NDArray actual = outer.forward(new NDList(x)).get(0);
                assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), 1e-5f, name);
            }
        }
    }
}
