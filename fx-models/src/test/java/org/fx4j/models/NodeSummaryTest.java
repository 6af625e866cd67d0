package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fx4j.features.NodeSummary;
import org.fx4j.fx.TraceOptions;
import org.fx4j.nn.Module;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;

/** Every node's name and output shape, against torchvision's eval graph run on the same probe. */
class NodeSummaryTest {

    @Test
    void namesAndShapesMatchTorchvision() throws Exception {
        String[] models = {"resnet18", "mobilenet_v3_small", "swin_t"};
        JsonObject want = JsonParser.parseString(TorchvisionReference.run(NodeSummaryTest.class,
                "/reference/node_shapes.py", "160", "resnet18", "mobilenet_v3_small", "swin_t")).getAsJsonObject();
        try (NDManager m = NDManager.newBaseManager()) {
            for (String name : models) {
                Engine.getInstance().setRandomSeed(0);
                Module model = ModelRegistry.create(name);
                model.initialize(m);
                List<NodeSummary> got = NodeSummary.of(model, new Shape(1, 3, 160, 160), TraceOptions.builder()
                        .suppressDiffWarning(true).build());
                JsonArray expected = want.getAsJsonArray(name);
                List<String> names = new ArrayList<>();
                expected.forEach(e -> names.add(e.getAsJsonArray().get(0).getAsString()));
                assertEquals(names, got.stream().map(NodeSummary::name).toList(), name + ": node names");
                for (int i = 0; i < got.size(); i++) {
                    JsonElement shape = expected.get(i).getAsJsonArray().get(1);
                    NodeSummary n = got.get(i);
                    if (shape.isJsonNull()) {
                        assertNull(n.shape(), name + " " + n.name() + " yields no tensor in torchvision");
                    } else {
                        long[] s = new long[shape.getAsJsonArray().size()];
                        for (int d = 0; d < s.length; d++) {
                            s[d] = shape.getAsJsonArray().get(d).getAsLong();
                        }
                        assertEquals(Arrays.toString(s), n.shape() == null ? "null"
                                : Arrays.toString(n.shape().getShape()), name + " " + n.name());
                    }
                }
            }
        }
    }

    @Test
    void resnetNodesCarryOpModuleChannelsAndStride() {
        try (NDManager m = NDManager.newBaseManager()) {
            Module model = ResNets.resnet18();
            model.initialize(m);
            List<NodeSummary> nodes = NodeSummary.of(model, new Shape(1, 3, 224, 224), null);
            NodeSummary x = nodes.get(0);
            assertEquals("placeholder", x.op());
            NodeSummary conv = nodes.stream().filter(n -> n.name().equals("layer3.0.conv1")).findFirst().orElseThrow();
            assertEquals("call_module", conv.op());
            assertEquals("Conv2d", conv.moduleClass());
            assertEquals(256, conv.channels());
            assertEquals(16, conv.stride());
            NodeSummary add = nodes.stream().filter(n -> n.name().equals("layer4.1.add")).findFirst().orElseThrow();
            assertEquals("call_function", add.op());
            assertEquals(32, add.stride());
            NodeSummary fc = nodes.get(nodes.size() - 1);
            assertEquals("fc", fc.name());
            assertEquals(1000, fc.channels());
            assertEquals(0, fc.stride(), "a vector has no stride");
        }
    }
}
