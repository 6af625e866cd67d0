package org.fx4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.fx4j.detection.data.MaskRle;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fx detect} against torchvision 0.14.1 in float32: a random {@code maskrcnn_resnet50_fpn} saved
 * with {@code torch.save}, a 301x457 RGB and a 200x260 grey PNG, {@code --score-thresh 0}: the same
 * number of detections, and each of fx4j's best 50 matched by a torchvision detection with the same
 * label, box IoU >= 0.98 (for a box under 1 px on a side, where IoU is ill-conditioned, coordinates
 * within 0.01 px), score within 2e-3 and mask area within 3 %.
 */
class FxDetectTest {

    @TempDir
    static Path ref;

    private static JsonObject expected;
    private static JsonObject actual;

    @BeforeAll
    static void setUp() throws IOException {
        if (!TorchvisionReference.isAvailable()) {
            return;
        }
        expected = JsonParser.parseString(TorchvisionReference.run(FxDetectTest.class,
                "/reference/detect_cli_reference.py", ref.toString())).getAsJsonObject();
        FxRun r = FxRun.fx("detect", ref.resolve("images").toString(), "--weights", ref.resolve("maskrcnn.pth")
                .toString(), "--score-thresh", "0", "--json", "--masks", "--out", ref.resolve("overlays").toString());
        assertEquals(0, r.code, r.err);
        actual = JsonParser.parseString(r.out).getAsJsonObject();
    }

    @Test
    void matchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        JsonArray images = actual.getAsJsonArray("images");
        assertEquals(2, images.size());
        for (int i = 0; i < images.size(); i++) {
            JsonObject image = images.get(i).getAsJsonObject();
            String file = image.get("file").getAsString();
            JsonArray ours = image.getAsJsonArray("detections");
            JsonArray theirs = expected.getAsJsonArray(file);
            assertEquals(theirs.size(), ours.size(), file + ": detection count");
            assertTrue(ours.size() >= 50, file + ": " + ours.size());
            double worstIou = 1;
            double worstScore = 0;
            double worstArea = 0;
            int slivers = 0;
            boolean[] used = new boolean[theirs.size()];
            for (int k = 0; k < 50; k++) {
                JsonObject a = ours.get(k).getAsJsonObject();
                // The torchvision detection of the same label nearest in its coordinates (max |difference|).
                int best = -1;
                double nearest = Double.MAX_VALUE;
                for (int j = 0; j < theirs.size(); j++) {
                    JsonObject b = theirs.get(j).getAsJsonObject();
                    if (used[j] || b.get("label").getAsInt() != a.get("label").getAsInt()) {
                        continue;
                    }
                    double[] ba = box(a);
                    double[] bb = box(b);
                    double d = 0;
                    for (int c = 0; c < 4; c++) {
                        d = Math.max(d, Math.abs(ba[c] - bb[c]));
                    }
                    if (d < nearest) {
                        nearest = d;
                        best = j;
                    }
                }
                assertTrue(best >= 0, file + " detection " + k + " " + a + ": no torchvision detection of its label");
                double[] ba = box(a);
                double[] bb = box(theirs.get(best).getAsJsonObject());
                double bestIou = iou(ba, bb);
                if (Math.min(ba[2] - ba[0], ba[3] - ba[1]) < 1) {
                    // A sub-pixel sliver: IoU is ill-conditioned (0.003 px is 1 % of 0.25 px); compare coordinates,
                    // within 0.01 px or 0.1 % of the box's longer side.
                    double tol = Math.max(0.01, 1e-3 * Math.max(ba[2] - ba[0], ba[3] - ba[1]));
                    for (int c = 0; c < 4; c++) {
                        assertTrue(Math.abs(ba[c] - bb[c]) <= tol, file + " detection " + k + " (sliver) coordinate "
                                + c + ": " + ba[c] + " vs " + bb[c]);
                    }
                    slivers++;
                } else {
                    assertTrue(bestIou >= 0.98, file + " detection " + k + " " + a + ": best IoU " + bestIou);
                    worstIou = Math.min(worstIou, bestIou);
                }
                used[best] = true;
                JsonObject b = theirs.get(best).getAsJsonObject();
                double ds = Math.abs(a.get("score").getAsDouble() - b.get("score").getAsDouble());
                assertTrue(ds <= 2e-3, file + " detection " + k + ": score " + a.get("score") + " vs " + b.get("score"));
                long areaA = a.get("mask_area").getAsLong();
                long areaB = b.get("mask_area").getAsLong();
                double da = Math.abs(areaA - areaB) / (double) Math.max(1, areaB);
                assertTrue(da <= 0.03, file + " detection " + k + ": mask area " + areaA + " vs " + areaB);
                worstScore = Math.max(worstScore, ds);
                worstArea = Math.max(worstArea, da);
            }
            System.out.printf("fx detect vs torchvision %s: %d detections, best 50 matched: worst IoU %.5f (%d sub-pixel"
                    + " slivers compared by coordinates), score diff %.1e, mask area diff %.2f%%%n", file, ours.size(),
                    worstIou, slivers, worstScore, 100 * worstArea);
        }
    }

    @Test
    void masksAreCocoRleOfTheMaskAreaAndOverlaysAreWritten() throws IOException {
        TorchvisionReference.assumeAvailable();
        JsonObject first = actual.getAsJsonArray("images").get(0).getAsJsonObject();
        assertEquals("a.png", first.get("file").getAsString());
        for (int k = 0; k < 5; k++) {
            JsonObject d = first.getAsJsonArray("detections").get(k).getAsJsonObject();
            JsonObject seg = d.getAsJsonObject("segmentation");
            assertEquals(301, seg.getAsJsonArray("size").get(0).getAsInt());
            assertEquals(457, seg.getAsJsonArray("size").get(1).getAsInt());
            List<Long> counts = new ArrayList<>();
            seg.getAsJsonArray("counts").forEach(c -> counts.add(c.getAsLong()));
            long on = 0;
            for (boolean b : MaskRle.of(301, 457, counts.stream().mapToLong(Long::longValue).toArray()).decode()) {
                on += b ? 1 : 0;
            }
            assertEquals(d.get("mask_area").getAsLong(), on, "RLE foreground = mask_area");
            // Orientation: the decoded pixels lie in the detection's box widened by 30/28 (+1 px), as pasted.
            boolean[] mask = MaskRle.of(301, 457, counts.stream().mapToLong(Long::longValue).toArray()).decode();
            double[] b = box(d);
            double padX = (b[2] - b[0]) * 1.0 / 28 + 1.5;
            double padY = (b[3] - b[1]) * 1.0 / 28 + 1.5;
            for (int y = 0; y < 301; y++) {
                for (int x = 0; x < 457; x++) {
                    if (mask[y * 457 + x]) {
                        assertTrue(x >= b[0] - padX && x <= b[2] + padX && y >= b[1] - padY && y <= b[3] + padY,
                                "detection " + k + ": mask pixel (" + x + ", " + y + ") outside its box " + d.get("box"));
                    }
                }
            }
        }
        BufferedImage a = ImageIO.read(ref.resolve("overlays/a.png").toFile());
        assertEquals(457, a.getWidth());
        assertEquals(301, a.getHeight());
        assertTrue(Files.exists(ref.resolve("overlays/b.png")));
        FxRun again = FxRun.fx("detect", ref.resolve("images").toString(), "--weights", ref.resolve("maskrcnn.pth")
                .toString(), "--out", ref.resolve("overlays").toString());
        assertEquals(2, again.code);
        assertTrue(again.err.contains("exists; pass --force to replace it"), again.err);
        FxRun onInputs = FxRun.fx("detect", ref.resolve("images").toString(), "--weights", ref.resolve("maskrcnn.pth")
                .toString(), "--out", ref.resolve("images").toString(), "--force");
        assertEquals(2, onInputs.code);
        assertTrue(onInputs.err.contains("is the input directory"), onInputs.err);
    }

    @Test
    void singleImageTableAndErrors() {
        TorchvisionReference.assumeAvailable();
        FxRun r = FxRun.fx("detect", ref.resolve("images/b.png").toString(), "--weights", ref.resolve("maskrcnn.pth")
                .toString(), "--score-thresh", "0.0125");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("b.png (260x200)") && r.out.contains("rank  label   score"), r.out);
        FxRun bad = FxRun.fx("detect", ref.resolve("images").toString(), "--weights", ref.resolve("maskrcnn.pth")
                .toString(), "--masks");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("--masks adds RLE masks to the JSON; add --json"), bad.err);
        FxRun onItself = FxRun.fx("detect", ref.resolve("images/b.png").toString(), "--weights", ref.resolve(
                "maskrcnn.pth").toString(), "--out", ref.resolve("images/b.png").toString());
        assertEquals(2, onItself.code);
        assertTrue(onItself.err.contains("is the input image"), onItself.err);
        FxRun wrongClasses = FxRun.fx("detect", ref.resolve("images/b.png").toString(), "--weights",
                ref.resolve("maskrcnn.pth").toString(), "--num-classes", "3");
        assertEquals(2, wrongClasses.code);
        assertTrue(wrongClasses.err.contains("roi_heads.box_predictor.cls_score.weight"), wrongClasses.err);
    }

    @Test
    void overlayNameCollisionsAreRefused() throws IOException {
        TorchvisionReference.assumeAvailable();
        Path dir = Files.createDirectories(ref.resolve("collide"));
        Files.copy(ref.resolve("images/b.png"), dir.resolve("a.png"));
        Files.copy(ref.resolve("images/b.png"), dir.resolve("A.jpg"));
        FxRun r = FxRun.fx("detect", dir.toString(), "--weights", ref.resolve("maskrcnn.pth").toString(), "--out",
                ref.resolve("collide-out").toString());
        assertEquals(2, r.code);
        assertTrue(r.err.contains("would both be drawn to"), r.err);
    }

    private static double[] box(JsonObject o) {
        JsonArray b = o.getAsJsonArray("box");
        return new double[] {b.get(0).getAsDouble(), b.get(1).getAsDouble(), b.get(2).getAsDouble(),
            b.get(3).getAsDouble()};
    }

    private static double iou(double[] a, double[] b) {
        double w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        double h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        double inter = w * h;
        double union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union <= 0 ? (inter == 0 ? 1 : 0) : inter / union;
    }
}
