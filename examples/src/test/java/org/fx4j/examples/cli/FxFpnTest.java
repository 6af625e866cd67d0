package org.fx4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fx4j.io.Npy;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fx nodes MODEL --fpn} and {@code fx extract MODEL --fpn}: the FPN backbone's nodes, and its
 * levels for torchvision's weights (a state dict, or a detection checkpoint's {@code backbone.*}) within
 * 1e-5 of the largest value of torchvision's float32 outputs.
 */
class FxFpnTest {

    private static String[] fx(String... args) {
        CommandLine cli = FxCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void nodesOfTheFpnBackbone() {
        String[] r = fx("nodes", "resnet50", "--fpn", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject o = JsonParser.parseString(r[1]).getAsJsonObject();
        assertEquals(174, o.getAsJsonArray("eval").size());
        assertEquals("fpn", o.getAsJsonArray("eval").get(173).getAsString());
        assertEquals("body.layer4.2.relu_2", o.getAsJsonArray("eval").get(172).getAsString());
        String[] bad = fx("nodes", "vgg16", "--fpn");
        assertEquals("2", bad[0]);
        assertTrue(bad[2].startsWith("fx: error: no FPN backbone for 'vgg16'; --fpn takes resnet18"), bad[2]);
    }

    @Test
    void benchTimesTheTracedBackbone() {
        String[] r = fx("bench", "mobilenet_v3_large", "--fpn", "--size", "64", "--width", "96", "--iters", "1",
                "--warmup", "0", "--json");
        assertEquals("0", r[0], r[2]);
        JsonObject o = JsonParser.parseString(r[1]).getAsJsonObject();
        assertEquals(96, o.get("width").getAsInt());
        assertTrue(o.get("median_ms").getAsDouble() > 0);
        String[] both = fx("bench", "resnet18", "--fpn", "--nodes", "layer1");
        assertEquals("2", both[0]);
        assertTrue(both[2].contains("--fpn times the pyramid; drop --nodes"), both[2]);
    }

    @Test
    void extractMatchesTorchvision(@TempDir Path dir) throws IOException {
        TorchvisionReference.assumeAvailable();
        TorchvisionReference.run(FxFpnTest.class, "/reference/fpn_cli_reference.py", dir.toString(), "resnet18",
                "resnet50", "mobilenet_v3_large");
        String x = dir.resolve("x.npy").toString();
        List<List<String>> runs = List.of(
                List.of("resnet18", "--weights", dir.resolve("resnet18_fpn.pth").toString()),
                List.of("resnet18", "--weights", dir.resolve("maskrcnn_like.pth").toString(), "--key", "model",
                        "--prefix", "backbone."),
                List.of("resnet50", "--weights", dir.resolve("resnet50_fpn.pth").toString()),
                List.of("mobilenet_v3_large", "--weights", dir.resolve("mobilenet_v3_large_fpn.pth").toString()));
        int k = 0;
        for (List<String> run : runs) {
            String model = run.get(0);
            Path out = dir.resolve("out" + k++);
            List<String> args = new java.util.ArrayList<>(List.of("extract", model, "--fpn", "--input", x, "--out",
                    out.toString(), "--png"));
            args.addAll(run.subList(1, run.size()));
            String[] r = fx(args.toArray(new String[0]));
            assertEquals("0", r[0], r[2]);
            assertTrue(r[1].contains(model + " FPN backbone (weights "), r[1]);
            List<String> levels = model.startsWith("mobilenet") ? List.of("0", "1", "pool")
                    : List.of("0", "1", "2", "3", "pool");
            try (NDManager m = NDManager.newBaseManager()) {
                for (String level : levels) {
                    NDArray mine = Npy.read(out.resolve(level + ".npy"), m);
                    NDArray ref = Npy.read(dir.resolve(model + "_ref_" + level + ".npy"), m);
                    assertEquals(ref.getShape(), mine.getShape(), model + " " + level);
                    float max = ref.abs().max().getFloat();
                    float diff = mine.sub(ref).abs().max().getFloat();
                    assertTrue(diff <= 1e-5f * max, model + " " + level + ": max |fx4j - torchvision| " + diff
                            + " of " + max);
                    System.out.printf("fx extract %s --fpn %s %s: max|diff|/max|ref| %.1e%n", model, level,
                            mine.getShape(), diff / max);
                }
                assertTrue(Files.size(out.resolve("pool.png")) > 0);
                assertEquals(levels.size(), Files.list(out).filter(p -> p.toString().endsWith(".npy")).count());
            }
        }
    }
}
