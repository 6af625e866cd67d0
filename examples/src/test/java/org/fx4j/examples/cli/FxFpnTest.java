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
    void extractMatchesTorchvision(@TempDir Path dir) throws IOException {
        TorchvisionReference.assumeAvailable();
        TorchvisionReference.run(FxFpnTest.class, "/reference/fpn_cli_reference.py", dir.toString());
        String x = dir.resolve("x.npy").toString();
        for (List<String> weights : List.of(List.of("--weights", dir.resolve("r18fpn.pth").toString()),
                List.of("--weights", dir.resolve("maskrcnn_like.pth").toString(), "--key", "model", "--prefix",
                        "backbone."))) {
            Path out = dir.resolve("out" + weights.size());
            String[] args = new String[weights.size() + 8];
            String[] head = {"extract", "resnet18", "--fpn", "--input", x, "--out", out.toString(), "--png"};
            System.arraycopy(head, 0, args, 0, head.length);
            for (int i = 0; i < weights.size(); i++) {
                args[head.length + i] = weights.get(i);
            }
            String[] r = fx(args);
            assertEquals("0", r[0], r[2]);
            assertTrue(r[1].contains("resnet18 FPN backbone (weights ") && r[1].contains("116 tensors loaded"), r[1]);
            try (NDManager m = NDManager.newBaseManager()) {
                for (String level : List.of("0", "1", "2", "3", "pool")) {
                    NDArray mine = Npy.read(out.resolve(level + ".npy"), m);
                    NDArray ref = Npy.read(dir.resolve("ref_" + level + ".npy"), m);
                    assertEquals(ref.getShape(), mine.getShape(), level);
                    float max = ref.abs().max().getFloat();
                    float diff = mine.sub(ref).abs().max().getFloat();
                    assertTrue(diff <= 1e-5f * max, level + ": max |fx4j - torchvision| " + diff + " of " + max);
                    System.out.printf("fx extract --fpn %s %s: max|diff|/max|ref| %.1e%n", level, mine.getShape(),
                            diff / max);
                }
                assertTrue(Files.size(out.resolve("pool.png")) > 0);
            }
        }
    }
}
