package org.fx4j.detection.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.DetectionImages;
import org.fx4j.detection.data.ShapesGenerator;
import org.fx4j.detection.rcnn.Detections;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training loop end to end on a tiny shapes set (ResNet-18 FPN at 64 pixels): the run directory's
 * files, a resumed run equal to an uninterrupted one weight for weight, the model file rebuilding its
 * model alone, and the refusals (an existing run without resume, resume without a checkpoint, resume of
 * another model).
 */
class DetectionTrainerTest {

    @TempDir
    static Path dir;

    private static CocoDataset train;
    private static CocoDataset val;

    @BeforeAll
    static void data() throws IOException {
        new ShapesGenerator(64, 1).write(4, dir.resolve("train"));
        new ShapesGenerator(64, 2).write(2, dir.resolve("val"));
        train = CocoDataset.open(dir.resolve("train"));
        val = CocoDataset.open(dir.resolve("val"));
    }

    private static DetectionModelSpec spec() {
        return new DetectionModelSpec("resnet18", 4, 5, List.of("circle", "square", "triangle"), 64, 128, List.of(64),
                new RcnnConfig().minSize(64).maxSize(64).rpnPreNmsTopNTrain(100).rpnPostNmsTopNTrain(50)
                        .rpnPreNmsTopNTest(50).rpnPostNmsTopNTest(20).boxBatchSizePerImage(32));
    }

    private static TrainingOptions options() {
        return new TrainingOptions(2, 2, 0, 0.01, 0.9, 1e-4, 2, 0.1, LearningRateSchedule.Kind.COSINE, 10, true, 5, 60);
    }

    private static Map<String, float[]> weights(Path file) throws IOException {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(); StateDict sd = Checkpoints.read(file, m)) {
            sd.tensors().forEach((k, v) -> out.put(k, v.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .toFloatArray()));
        }
        return out;
    }

    @Test
    void aResumedRunEqualsAnUninterruptedOne() throws IOException {
        Path straight = dir.resolve("straight");
        List<DetectionTrainer.EpochRecord> history = new DetectionTrainer(spec(), train, val, options(), straight, null)
                .run(false);
        assertEquals(2, history.size());
        assertEquals(4, history.get(1).iterations());
        assertNotNull(history.get(1).box());
        for (String f : List.of("model.safetensors", "checkpoint.safetensors", "metrics.json", "curve.png")) {
            assertTrue(Files.size(straight.resolve(f)) > 0, f);
        }
        JsonObject metrics = JsonParser.parseString(Files.readString(straight.resolve("metrics.json"))).getAsJsonObject();
        assertEquals(2, metrics.getAsJsonArray("epochs").size());
        assertTrue(metrics.getAsJsonArray("epochs").get(1).getAsJsonObject().getAsJsonObject("segm").has("AP50"));

        // interrupted in the middle of epoch 1 (after its first iteration's checkpoint), with a checkpoint
        // after every iteration
        Path interrupted = dir.resolve("interrupted");
        TrainingOptions everyIteration = new TrainingOptions(2, 2, 0, 0.01, 0.9, 1e-4, 2, 0.1,
                LearningRateSchedule.Kind.COSINE, 10, true, 5, 1e-9);
        DetectionTrainer.Listener stopAtTwo = new DetectionTrainer.Listener() {
            @Override
            public void onStep(DetectionTrainer.Step s) {
                if (s.iteration() == 2) {
                    throw new IllegalStateException("simulated crash");
                }
            }
        };
        assertThrows(IllegalStateException.class,
                () -> new DetectionTrainer(spec(), train, val, everyIteration, interrupted, stopAtTwo).run(false));
        assertTrue(assertThrows(IllegalStateException.class,
                () -> new DetectionTrainer(spec(), train, val, options(), interrupted, null).run(false)).getMessage()
                .contains("add --resume"));
        List<String> notes = new java.util.ArrayList<>();
        DetectionTrainer.Listener collect = new DetectionTrainer.Listener() {
            @Override
            public void onMessage(String message) {
                notes.add(message);
            }
        };
        List<DetectionTrainer.EpochRecord> resumed = new DetectionTrainer(spec(), train, val, options(), interrupted,
                collect).run(true);
        assertTrue(notes.get(0).startsWith("resumed at epoch 1, iteration 1"), notes.toString());
        assertEquals(2, resumed.size(), "the first epoch's record survives the resume");
        Map<String, float[]> a = weights(straight.resolve("model.safetensors"));
        Map<String, float[]> b = weights(interrupted.resolve("model.safetensors"));
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 0f, k);
        }
        assertEquals(history.get(1).meanLosses(), resumed.get(1).meanLosses());

        // the model file alone rebuilds the model
        try (NDManager m = NDManager.newBaseManager()) {
            MaskRCNN model = DetectionModelSpec.load(straight.resolve("model.safetensors"), m);
            assertEquals(spec().toJson(), DetectionModelSpec.read(straight.resolve("model.safetensors")).toJson());
            NDArray image = DetectionImages.toArray(DetectionImages.read(val.imagePath(val.images().get(0))), m);
            Detections d = model.detect(List.of(image)).get(0);
            assertEquals(4, d.masks().getShape().dimension());
        }
    }

    @Test
    void aboutHalfOfTheImagesAreFlippedInEveryEpoch() {
        for (long seed = 0; seed < 3; seed++) {
            for (int epoch = 0; epoch < 3; epoch++) {
                int flipped = 0;
                for (int i = 0; i < 2000; i++) {
                    flipped += (int) (DetectionTrainer.mix(seed, epoch, i) & 1);
                }
                assertTrue(flipped > 900 && flipped < 1100, "seed " + seed + " epoch " + epoch + ": " + flipped);
            }
        }
    }

    @Test
    void refusals() throws IOException {
        Path none = dir.resolve("none");
        assertTrue(assertThrows(IllegalStateException.class,
                () -> new DetectionTrainer(spec(), train, null, options(), none, null).run(true)).getMessage()
                .contains("nothing to resume"));
        Path other = dir.resolve("other");
        TrainingOptions oneEpoch = new TrainingOptions(2, 1, 0, 0.01, 0.9, 1e-4, 2, 0.1,
                LearningRateSchedule.Kind.COSINE, 10, false, 5, 60);
        new DetectionTrainer(spec(), train, null, oneEpoch, other, null).run(false);
        TrainingOptions otherRate = new TrainingOptions(2, 2, 0, 0.02, 0.9, 1e-4, 2, 0.1,
                LearningRateSchedule.Kind.COSINE, 10, false, 5, 60);
        String msg = assertThrows(IllegalStateException.class,
                () -> new DetectionTrainer(spec(), train, null, otherRate, other, null).run(true)).getMessage();
        assertTrue(msg.contains("learning_rate 0.01 (now 0.02)"), msg);
        DetectionModelSpec mobile = new DetectionModelSpec("resnet18", 4, 3, spec().categories(), spec().config());
        assertTrue(assertThrows(IllegalStateException.class,
                () -> new DetectionTrainer(mobile, train, null, oneEpoch, other, null).run(true)).getMessage()
                .contains("is of another model"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new DetectionTrainer(new DetectionModelSpec("resnet18", 5, 5, List.of("a", "b", "c", "d"),
                        spec().config()), train, null, oneEpoch, other, null)).getMessage().contains("5 classes"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectionModelSpec("vgg", 4, 5,
                spec().categories(), spec().config())).getMessage().contains("unknown backbone 'vgg'"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DetectionModelSpec("resnet18", 4, 6,
                spec().categories(), spec().config())).getMessage().contains("[0,5], got 6"));
    }
}
