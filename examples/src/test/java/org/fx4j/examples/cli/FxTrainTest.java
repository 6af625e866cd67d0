package org.fx4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fx4j.detection.eval.CocoMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fx shapes}, {@code fx train} (with --resume), {@code fx detect} on the trained model without
 * other flags, and {@code fx eval}, on a tiny set (64-pixel shapes, ResNet-18): exit codes, the run
 * directory, the outputs' form and the refusals.
 */
class FxTrainTest {

    @TempDir
    static Path dir;

    private static FxRun trained;

    @BeforeAll
    static void train() {
        assertEquals(0, FxRun.fx("shapes", "--count", "4", "--seed", "3", "--size", "64", "--out",
                dir.resolve("train").toString()).code);
        assertEquals(0, FxRun.fx("shapes", "--count", "2", "--seed", "4", "--size", "64", "--out",
                dir.resolve("val").toString()).code);
        trained = FxRun.fx("train", "--data", dir.resolve("train").toString(), "--val", dir.resolve("val").toString(),
                "--backbone", "resnet18", "--epochs", "1", "--size", "64", "--out", dir.resolve("run").toString());
    }

    @Test
    void shapesWritesCocoAndRefusesAFullDirectory() throws IOException {
        assertTrue(Files.exists(dir.resolve("train/annotations.json")));
        assertEquals(4, Files.list(dir.resolve("train/images")).count());
        FxRun again = FxRun.fx("shapes", "--count", "1", "--out", dir.resolve("train").toString());
        assertEquals(FxCli.BAD_INPUT, again.code);
        assertTrue(again.err.contains("exists and is not an empty directory"), again.err);
    }

    @Test
    void trainWritesTheRunAndResumes() throws IOException {
        assertEquals(0, trained.code, trained.err);
        assertTrue(trained.out.contains("validation after epoch 1: box AP"), trained.out);
        assertTrue(trained.err.contains("epoch 1 [####################] 2/2 | loss"), trained.err);
        for (String f : new String[] {"model.safetensors", "checkpoint.safetensors", "metrics.json", "curve.png"}) {
            assertTrue(Files.size(dir.resolve("run").resolve(f)) > 0, f);
        }
        FxRun again = FxRun.fx("train", "--data", dir.resolve("train").toString(), "--backbone", "resnet18",
                "--epochs", "1", "--size", "64", "--out", dir.resolve("run").toString());
        assertEquals(FxCli.BAD_INPUT, again.code);
        assertTrue(again.err.contains("already holds a training run; add --resume"), again.err);
        FxRun resumed = FxRun.fx("train", "--data", dir.resolve("train").toString(), "--val",
                dir.resolve("val").toString(), "--backbone", "resnet18", "--epochs", "2", "--size", "64", "--resume",
                "--out", dir.resolve("run").toString());
        assertEquals(0, resumed.code, resumed.err);
        assertTrue(resumed.err.contains("# resumed at epoch 2, iteration 2"), resumed.err);
        JsonObject metrics = JsonParser.parseString(Files.readString(dir.resolve("run/metrics.json"))).getAsJsonObject();
        assertEquals(2, metrics.getAsJsonArray("epochs").size());
        assertEquals(4, metrics.get("iterations").getAsInt());
    }

    @Test
    void theModelFileDescribesTheDefaultConfiguration() throws IOException {
        org.fx4j.detection.train.DetectionModelSpec s = org.fx4j.detection.train.DetectionModelSpec.read(
                dir.resolve("run/model.safetensors"));
        assertEquals(128, s.fpnChannels());
        assertEquals(256, s.boxRepresentation());
        assertEquals(java.util.List.of(128, 128), s.maskLayers());
        JsonObject options = JsonParser.parseString(Files.readString(dir.resolve("run/metrics.json"))).getAsJsonObject()
                .getAsJsonObject("options");
        assertEquals(0.005, options.get("learning_rate").getAsDouble());
    }

    @Test
    void detectAndEvalNeedNoOtherFlag() {
        String weights = dir.resolve("run/model.safetensors").toString();
        FxRun d = FxRun.fx("detect", dir.resolve("val/images/000000.png").toString(), "--weights", weights,
                "--score-thresh", "0", "--json");
        assertEquals(0, d.code, d.err);
        JsonArray dets = JsonParser.parseString(d.out).getAsJsonObject().getAsJsonArray("detections");
        assertTrue(dets.size() > 0);
        String category = dets.get(0).getAsJsonObject().get("category").getAsString();
        assertTrue(java.util.List.of("circle", "square", "triangle").contains(category), category);
        FxRun wrong = FxRun.fx("detect", dir.resolve("val/images/000000.png").toString(), "--weights", weights,
                "--num-classes", "91");
        assertEquals(FxCli.BAD_INPUT, wrong.code);
        assertTrue(wrong.err.contains("contradicts"), wrong.err);

        FxRun e = FxRun.fx("eval", "--weights", weights, "--data", dir.resolve("val").toString(), "--json");
        assertEquals(0, e.code, e.err);
        JsonObject o = JsonParser.parseString(e.out).getAsJsonObject();
        assertEquals(CocoMetrics.NAMES.size(), o.getAsJsonObject("bbox").size());
        assertEquals(CocoMetrics.NAMES.size(), o.getAsJsonObject("segm").size());
        assertEquals(2, o.get("images").getAsInt());
        FxRun table = FxRun.fx("eval", "--weights", weights, "--data", dir.resolve("val").toString());
        assertTrue(table.out.contains("Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]"),
                table.out);
    }

    @Test
    void badTrainingFlagsAreRefused() {
        String data = dir.resolve("train").toString();
        String out = dir.resolve("never").toString();
        FxRun r = FxRun.fx("train", "--data", data, "--backbone", "vgg16", "--epochs", "1", "--out", out);
        assertTrue(r.err.contains("unknown --backbone 'vgg16'"), r.err);
        r = FxRun.fx("train", "--data", data, "--backbone", "resnet18", "--trainable-layers", "7", "--epochs", "1",
                "--out", out);
        assertTrue(r.err.contains("--trainable-layers must be in [0, 5]"), r.err);
        r = FxRun.fx("train", "--data", data, "--backbone", "resnet18", "--out", out);
        assertTrue(r.err.contains("give --epochs, --minutes or both"), r.err);
        r = FxRun.fx("train", "--data", data, "--backbone", "resnet18", "--epochs", "1", "--fpn-channels", "0", "--out",
                out);
        assertEquals(FxCli.BAD_INPUT, r.code);
        assertTrue(r.err.contains("--fpn-channels, --box-head and every --mask-head width must be positive"), r.err);
        r = FxRun.fx("train", "--data", data, "--shapes", "5", "--backbone", "resnet18", "--epochs", "1", "--out", out);
        assertEquals(FxCli.BAD_INPUT, r.code);
        r = FxRun.fx("eval", "--weights", dir.resolve("nothing.safetensors").toString(), "--data", data);
        assertEquals(FxCli.BAD_INPUT, r.code);
        assertTrue(!Files.exists(dir.resolve("never")));
    }
}
