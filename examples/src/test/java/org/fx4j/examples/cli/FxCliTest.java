package org.fx4j.examples.cli;

import static org.fx4j.examples.cli.FxRun.fx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fx4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fx tool: outputs, files and one-line errors with a non-zero exit. */
class FxCliTest {

    @Test
    void nodesJsonHasBothModes() {
        FxRun r = fx("nodes", "resnet18", "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = JsonParser.parseString(r.out).getAsJsonObject();
        assertEquals("x", o.getAsJsonArray("train").get(0).getAsString());
        assertEquals("fc", o.getAsJsonArray("eval").get(o.getAsJsonArray("eval").size() - 1).getAsString());
        assertEquals(o.getAsJsonArray("train"), o.getAsJsonArray("eval"));
    }

    @Test
    void nodesOfOneModeArePlainLines() {
        FxRun r = fx("nodes", "resnet18", "--mode", "train");
        assertEquals(0, r.code, r.err);
        List<String> lines = r.out.lines().toList();
        assertEquals("x", lines.get(0));
        assertTrue(lines.contains("layer1.0.relu_1"));
    }

    @Test
    void unknownModelListsKnownOnes() {
        FxRun r = fx("nodes", "resnet99");
        assertEquals(FxCli.BAD_INPUT, r.code);
        assertTrue(r.err.startsWith("fx: error: unknown model 'resnet99'. Known models: resnet18, resnet34"), r.err);
        assertEquals(1, r.err.lines().count(), "one line, no stack trace");
    }

    @Test
    void unknownNodeSuggestsClosestNames() {
        FxRun r = fx("extract", "resnet18", "--nodes", "layer9");
        assertEquals(FxCli.BAD_INPUT, r.code);
        assertTrue(r.err.contains("node: 'layer9' is not present") && r.err.contains("'layer1'"), r.err);
        assertEquals(1, r.err.lines().count());
    }

    @Test
    void extractWritesNpyAndPictures(@TempDir Path dir) throws IOException {
        FxRun r = fx("extract", "resnet18", "--nodes", "layer1:c2,layer4", "--size", "64", "--out", dir.toString(), "--png");
        assertEquals(0, r.code, r.err);
        List<String> lines = r.out.lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals(2, lines.size(), r.out);
        assertTrue(lines.get(0).startsWith("c2") && lines.get(0).contains("shape=(1, 64, 16, 16)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("layer4") && lines.get(1).contains("shape=(1, 512, 2, 2)"), lines.get(1));
        assertTrue(Files.size(dir.resolve("c2.png")) > 0);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray c2 = Npy.read(dir.resolve("c2.npy"), m);
            assertArrayEquals(new long[] {1, 64, 16, 16}, c2.getShape().getShape());
            assertTrue(c2.min().getFloat() >= 0, "c2 is a ReLU output");
        }
    }

    @Test
    void npyInputIsUsedAsIs(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(in, m.ones(new ai.djl.ndarray.types.Shape(2, 3, 40, 40)));
        }
        FxRun r = fx("extract", "resnet18", "--nodes", "conv1", "--input", in.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("shape=(2, 64, 20, 20)"), r.out);
    }

    @Test
    void weightsAreLoadedAndConverted(@TempDir Path dir) throws IOException {
        Path weights = dir.resolve("r18.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            org.fx4j.nn.Module net = org.fx4j.models.ResNets.resnet18();
            m.getEngine().setRandomSeed(123);
            net.initialize(m);
            org.fx4j.checkpoint.Checkpoints.saveSafetensors(net, weights);
        }
        FxRun r = fx("extract", "resnet18", "--weights", weights.toString(), "--nodes", "fc", "--size", "64");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("weights " + weights + ": 122 tensors loaded"), r.out);
        FxRun seeded = fx("extract", "resnet18", "--nodes", "fc", "--size", "64");
        assertFalse(seeded.out.lines().filter(l -> l.startsWith("fc")).findFirst().orElseThrow()
                .equals(r.out.lines().filter(l -> l.startsWith("fc")).findFirst().orElseThrow()),
                "the loaded weights are used, not the seeded initialisation");

        Path copy = dir.resolve("copy.safetensors");
        FxRun c = fx("convert", weights.toString(), copy.toString());
        assertEquals(0, c.code, c.err);
        assertTrue(c.out.startsWith("wrote 122 tensors from " + weights + " (SAFETENSORS) to " + copy), c.out);

        FxRun wrongModel = fx("extract", "resnet50", "--weights", weights.toString(), "--nodes", "fc");
        assertEquals(FxCli.BAD_INPUT, wrongModel.code);
        assertTrue(wrongModel.err.startsWith("fx: error: Error(s) in loading state_dict for ResNet:"), wrongModel.err);
        assertTrue(wrongModel.err.contains("Missing key(s) in state_dict: \"layer1.0.conv3.weight\"")
                && wrongModel.err.contains("size mismatch for fc.weight"), wrongModel.err);

        FxRun badOut = fx("convert", weights.toString(), dir.resolve("x.pth").toString());
        assertEquals(FxCli.BAD_INPUT, badOut.code);
        assertTrue(badOut.err.contains("name the output *.safetensors"), badOut.err);
    }

    @Test
    void benchPrintsJsonWithTheDocumentedFields() {
        FxRun r = fx("bench", "resnet18", "--nodes", "layer2", "--batch", "2", "--size", "64", "--iters", "2",
                "--warmup", "1", "--threads", "1", "--eager", "--json");
        assertEquals(0, r.code, r.err);
        JsonObject o = JsonParser.parseString(r.out).getAsJsonObject();
        for (String field : List.of("model", "batch", "threads", "malloc", "folded_pairs", "median_ms", "min_ms", "max_ms",
                "images_per_s", "build_ms")) {
            assertTrue(o.has(field), field + " in " + r.out);
        }
        assertEquals(org.fx4j.runtime.MallocSettings.current().describe(), o.get("malloc").getAsString());
        assertEquals(10, o.get("folded_pairs").getAsInt(), "the inference pass is on by default: conv1 + bn1,"
                + " 2 pairs in each of layer1.0, layer1.1 and layer2.1, 3 in layer2.0 (its downsample)");
        FxRun traced = fx("bench", "resnet18", "--nodes", "layer2", "--size", "64", "--iters", "1", "--warmup", "0",
                "--no-fold", "--json");
        assertEquals(0, traced.code, traced.err);
        assertEquals(0, JsonParser.parseString(traced.out).getAsJsonObject().get("folded_pairs").getAsInt());
        assertTrue(o.get("onednn").getAsBoolean(), "a ResNet's evaluation graph runs as the oneDNN program");
        assertFalse(JsonParser.parseString(traced.out).getAsJsonObject().get("onednn").getAsBoolean(),
                "--no-fold turns the whole inference pass off");
        FxRun trainNoFold = fx("bench", "resnet50", "--maskrcnn", "--train", "--no-fold");
        assertEquals(FxCli.BAD_INPUT, trainNoFold.code);
        assertTrue(trainNoFold.err.contains("--no-fold applies to inference"), trainNoFold.err);
        assertEquals(2, o.get("batch").getAsInt());
        assertEquals(1, o.get("threads").getAsInt());
        assertTrue(o.get("min_ms").getAsDouble() <= o.get("median_ms").getAsDouble());
        assertTrue(o.get("median_ms").getAsDouble() <= o.get("max_ms").getAsDouble());
        assertEquals(2 * 1000.0 / o.get("median_ms").getAsDouble(), o.get("images_per_s").getAsDouble(), 0.05);
        assertTrue(o.getAsJsonObject("eager").has("median_ms"));
        FxRun bad = fx("bench", "resnet18", "--nodes", "layer2", "--batch", "0");
        assertEquals(FxCli.BAD_INPUT, bad.code);
        assertTrue(bad.err.contains("--batch must be at least 1, got 0 (see `fx bench --help`)"), bad.err);
    }

    @Test
    void badInputsGiveOneLineErrors(@TempDir Path dir) throws IOException {
        Path notImage = dir.resolve("bad.png");
        Files.writeString(notImage, "not an image");
        Path wrongChannels = dir.resolve("x.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(wrongChannels, m.zeros(new ai.djl.ndarray.types.Shape(1, 4, 32, 32)));
        }
        Path wrongRank = dir.resolve("r.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(wrongRank, m.zeros(new ai.djl.ndarray.types.Shape(3, 32, 32)));
        }
        String[][] cases = {
            {"cannot read image", "--input", notImage.toString()},
            {"no such file", "--input", dir.resolve("missing.jpg").toString()},
            {"has shape (1, 4, 32, 32); expected a float32 NCHW tensor with 3 channels", "--input", wrongChannels.toString()},
            {"has shape (3, 32, 32)", "--input", wrongRank.toString()},
            {"--size must be between 32 and 4096", "--size", "8"},
        };
        for (String[] c : cases) {
            FxRun r = fx("extract", "resnet18", "--nodes", "layer1", c[1], c[2]);
            assertEquals(FxCli.BAD_INPUT, r.code, c[0]);
            assertTrue(r.err.startsWith("fx: error: ") && r.err.contains(c[0]), r.err);
            assertEquals(1, r.err.lines().count(), r.err);
            assertFalse(r.err.contains("Exception"), r.err);
        }
    }
}
