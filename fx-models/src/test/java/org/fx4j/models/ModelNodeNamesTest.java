package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import com.google.gson.Gson;
import java.io.IOException;
import java.util.List;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** getGraphNodeNames of every registered model equals torchvision 0.14.1's, train and eval. */
class ModelNodeNamesTest {

    private static JsonObject reference;

    static List<String> models() {
        return ModelSelection.models();
    }

    @BeforeAll
    static void loadReference() throws IOException {
        if (!TorchvisionReference.isAvailable()) {
            return;
        }
        String json = TorchvisionReference.run(
                ModelNodeNamesTest.class, "/reference/graph_nodes.py", models().toArray(new String[0]));
        reference = JsonParser.parseString(json).getAsJsonObject();
    }

    @ParameterizedTest
    @MethodSource("models")
    void nodeNamesMatchTorchvision(String name) {
        TorchvisionReference.assumeAvailable();
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(
                ModelRegistry.create(name), TraceOptions.builder().suppressDiffWarning(true).build());
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
}
