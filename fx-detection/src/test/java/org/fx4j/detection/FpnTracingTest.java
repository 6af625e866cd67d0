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
