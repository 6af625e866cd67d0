package org.fx4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fx4j.features.NodeSummary;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fx explore}: the page, loaded in headless Chromium, lists, filters and builds extractor code. */
class FxExploreTest {

    private static final String CHROMIUM = System.getProperty("fx4j.chromium", "chromium");

    @TempDir
    static Path dir;
    private static Path page;
    private static List<NodeSummary> nodes;

    @BeforeAll
    static void writePage() {
        page = dir.resolve("graph.html");
        FxRun r = FxRun.fx("explore", "resnet18", "--size", "160", "--out", page.toString());
        assertEquals(0, r.code, r.err);
        try (NDManager m = NDManager.newBaseManager()) {
            Module model = ModelRegistry.create("resnet18");
            model.initialize(m);
            nodes = NodeSummary.of(model, new Shape(1, 3, 160, 160), null);
        }
        assertTrue(r.out.contains("# wrote " + page + ": " + nodes.size() + " nodes of resnet18"), r.out);
    }

    @Test
    void everyNodeIsARowGroupedByStage() throws Exception {
        String dom = render("");
        assertEquals(nodes.size(), count(dom, "<tr class=\"node\""), "one row per node");
        assertTrue(dom.contains(nodes.size() + " of " + nodes.size() + " nodes"), "count line");
        for (String stage : List.of("layer1.0", "layer1.1", "layer4.1", "(top level)")) {
            assertTrue(dom.contains("<td colspan=\"8\">" + stage + "</td>"), "stage header " + stage);
        }
        // layer3.0.conv1: a Conv2d, 256 channels at stride 16 of a 160 px probe
        Matcher row = Pattern.compile("<tr class=\"node\" data-name=\"layer3\\.0\\.conv1\"[^>]*>(.*?)</tr>").matcher(dom);
        assertTrue(row.find(), "the row of layer3.0.conv1");
        String cells = row.group(1).replaceAll("(<[^>]+>)+", "|");
        assertTrue(cells.contains("|call_module|layer3.0.conv1 (Conv2d)|[1, 256, 10, 10]|256|16|"), cells);
        assertFalse(Files.readString(page).matches("(?s).*(<link|src=\"http|src='http).*"), "self-contained");
    }

    @Test
    void theSearchBoxFiltersRows() throws Exception {
        String dom = render("#q=Conv2d"); // matches the module column only: 20 convolutions
        long expected = nodes.stream().filter(n -> (n.name() + " " + n.op() + " " + n.target() + " "
                + (n.moduleClass().isEmpty() ? n.modulePath() : n.target() + " (" + n.moduleClass() + ")"))
                .toLowerCase(Locale.ROOT).contains("conv2d")).count();
        assertTrue(expected > 3 && expected < nodes.size(), "a real filter: " + expected);
        assertTrue(dom.contains(expected + " of " + nodes.size() + " nodes"), "count after filtering");
        assertEquals(nodes.size() - expected, count(dom, "<tr class=\"node hidden\""), "hidden rows");
    }

    @Test
    void tickedNodesGiveExtractorCode() throws Exception {
        String dom = render("#select=layer4.1.relu_1,layer2.1.relu_1");
        assertTrue(dom.contains("List.of(\"layer2.1.relu_1\", \"layer4.1.relu_1\")"), "Java code, in node order");
        assertTrue(dom.contains("./fx extract resnet18 --nodes layer2.1.relu_1,layer4.1.relu_1"), "CLI");
        assertTrue(dom.contains("return_nodes=['layer2.1.relu_1', 'layer4.1.relu_1']"), "torchvision");
        assertEquals(2, count(dom, "<tr class=\"node ticked\""), "two rows ticked");
    }

    @Test
    void sizesWithInexactStridesAreRefused() {
        FxRun r = FxRun.fx("explore", "resnet18", "--size", "100", "--out", dir.resolve("x.html").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("--size must be a multiple of 32, so that the strides read from the shapes are exact"
                + " (got 100; try 96)"), r.err);
    }

    private static String render(String hash) throws IOException, InterruptedException {
        Path out = dir.resolve("dom.html");
        Process p;
        try {
            p = new ProcessBuilder(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                    page.toUri() + hash).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            throw new IOException("this test loads the page in headless Chromium; install it (apt-get install -y"
                    + " chromium) or name it with -Dfx4j.chromium=PATH", e);
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
        assertEquals(0, p.exitValue(), "chromium exit status");
        return Files.readString(out, StandardCharsets.UTF_8);
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }
}
