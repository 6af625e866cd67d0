package org.fx4j.examples.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.detection.train.DetectionModelSpec;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.rcnn.DetectionModels;
import org.fx4j.detection.rcnn.Detections;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.fx4j.detection.data.MaskRle;
import org.fx4j.detection.data.DetectionImages;
import org.fx4j.examples.io.DetectionOverlay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fx detect IMAGE|DIR --weights FILE [--num-classes 91] [--score-thresh 0.05] [--json] [--masks]
 * [--out overlay.png]}: torchvision's {@code maskrcnn_resnet50_fpn} with the given weights (BatchNorm2d or
 * FrozenBatchNorm2d, whichever the file holds), or the model a {@code fx train} file describes (its
 * backbone, classes, sizes and category names), one image at a time, detections by descending score.
 */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Detect objects and their masks with Mask R-CNN (ResNet-50 FPN, or a model from `fx train`).")
public final class DetectCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IMAGE|DIR", description = "A PNG/JPEG image, or a directory of them.")
    private Path input;

    @Option(names = "--weights", required = true, paramLabel = "FILE",
            description = "maskrcnn_resnet50_fpn state dict (torch.save .pth, .safetensors, .npz).")
    private Path weights;

    @Option(names = "--key", paramLabel = "KEY", description = "Top-level key holding the state dict.")
    private String key;

    @Option(names = "--num-classes", description = "Classes including the background (default 91, COCO; a model"
            + " written by fx train knows its own).")
    private Integer numClasses;

    /** The category names of a model trained by fx train (labels 1..), or null. */
    private java.util.List<String> categories;

    @Option(names = "--score-thresh", defaultValue = "0.05", description = "Drop detections scoring at or below"
            + " (torchvision's box_score_thresh, default ${DEFAULT-VALUE}).")
    private double scoreThresh;

    @Option(names = "--json", description = "Print JSON: {\"detections\": [{\"box\", \"label\", \"score\","
            + " \"mask_area\"}, ...]} (for a directory {\"images\": [{\"file\", \"detections\"}, ...]}).")
    private boolean json;

    @Option(names = "--masks", description = "With --json, add each mask as COCO uncompressed RLE"
            + " (\"segmentation\": {\"size\": [h, w], \"counts\": [...]}, column-major).")
    private boolean masks;

    @Option(names = "--out", paramLabel = "PNG|DIR", description = "Draw boxes, labels, scores and masks: a PNG file"
            + " for one image, a directory (one PNG per image) for a directory.")
    private Path out;

    @Option(names = "--force", description = "Replace existing overlay PNGs.")
    private boolean force;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (numClasses != null && numClasses < 2) {
            throw new ParameterException(spec.commandLine(), "--num-classes counts the background, so it must be at"
                    + " least 2, got " + numClasses);
        }
        if (!(scoreThresh >= 0 && scoreThresh <= 1)) {
            throw new ParameterException(spec.commandLine(), "--score-thresh must be in [0, 1], got " + scoreThresh);
        }
        if (masks && !json) {
            throw new ParameterException(spec.commandLine(), "--masks adds RLE masks to the JSON; add --json");
        }
        List<Path> files = DetectionImages.list(input);
        boolean directory = Files.isDirectory(input);
        if (out != null) {
            if (directory) {
                OutputPaths.checkDirectory(spec, "--out", out, false);
                checkOverlayTargets(files);
                Files.createDirectories(out);
            } else {
                if (OutputPaths.sameFile(out, input)) {
                    throw new ParameterException(spec.commandLine(), "--out '" + out + "' is the input image; name"
                            + " another file");
                }
                OutputPaths.checkFile(spec, "--out", out, force);
            }
        }
        PrintWriter w = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager()) {
            MaskRCNN model;
            DetectionModelSpec trained = DetectionModelSpec.read(weights);
            if (trained != null) {
                // Written by fx train: the file says what the model is.
                if (numClasses != null && numClasses != trained.numClasses()) {
                    throw new ParameterException(spec.commandLine(), "--num-classes " + numClasses + " contradicts "
                            + weights + ", a " + trained.numClasses() + "-class model; drop --num-classes");
                }
                if (key != null) {
                    throw new ParameterException(spec.commandLine(), "--key is for nested checkpoints; " + weights
                            + " was written by fx train and holds the state dict at its top level");
                }
                model = trained.withConfig(trained.config().boxScoreThresh(scoreThresh)).build();
                categories = trained.categories();
                try (StateDict state = Checkpoints.read(weights, manager)) {
                    Checkpoints.load(model, state, manager, true);
                }
            } else {
                try (StateDict state = Checkpoints.read(weights, manager, key == null
                        ? org.fx4j.checkpoint.CheckpointOptions.builder().build()
                        : org.fx4j.checkpoint.CheckpointOptions.builder().optKey(key).build())) {
                    boolean frozen = state.keys().stream().noneMatch(k -> k.endsWith("num_batches_tracked"));
                    model = DetectionModels.maskrcnnResnet50Fpn(numClasses == null ? 91 : numClasses, frozen,
                            new RcnnConfig().boxScoreThresh(scoreThresh));
                    Checkpoints.load(model, state, manager, true);
                }
            }
            model.eval();
            JsonArray images = new JsonArray();
            for (Path file : files) {
                BufferedImage picture = DetectionImages.read(file);
                try (NDManager m = manager.newSubManager()) {
                    NDArray image = DetectionImages.toArray(picture, m);
                    Detections d = model.detect(List.of(image)).get(0);
                    JsonArray detections = toJson(d, picture.getHeight(), picture.getWidth());
                    if (json) {
                        JsonObject entry = new JsonObject();
                        entry.addProperty("file", directory ? input.relativize(file).toString() : file.toString());
                        entry.add("detections", detections);
                        images.add(entry);
                    } else {
                        printTable(w, file, picture, detections);
                    }
                    if (out != null) {
                        Path target = directory ? out.resolve(stem(file) + ".png") : out;
                        DetectionOverlay.write(picture, d.boxes().toFloatArray(), d.labels().toLongArray(),
                                d.scores().toFloatArray(), i -> mask(d, i), target);
                        if (!json) {
                            w.println("# wrote " + target);
                        }
                    }
                }
            }
            if (json) {
                Gson gson = new GsonBuilder().disableHtmlEscaping().create();
                JsonObject root = new JsonObject();
                if (directory) {
                    root.add("images", images);
                } else {
                    root.add("detections", images.get(0).getAsJsonObject().get("detections"));
                }
                w.println(gson.toJson(root));
            }
            w.flush();
        }
        return 0;
    }

    /** Directory mode: one overlay per image, none replacing an input, two images, or (without --force) a file. */
    private void checkOverlayTargets(List<Path> files) {
        if (OutputPaths.sameFile(out, input)) {
            throw new ParameterException(spec.commandLine(), "--out '" + out + "' is the input directory; its images"
                    + " would be replaced by the overlays; name another directory");
        }
        // Each input's identity once (real path), then one lookup per existing target: linear in the image count.
        java.util.Set<Path> inputs = new java.util.HashSet<>();
        for (Path file : files) {
            try {
                inputs.add(file.toRealPath());
            } catch (IOException e) {
                inputs.add(file.toAbsolutePath().normalize());
            }
        }
        java.util.Map<String, Path> byTarget = new java.util.HashMap<>();
        for (Path file : files) {
            Path target = out.resolve(stem(file) + ".png");
            // lower case: on a case-insensitive file system Cat.png and cat.jpg would share one overlay
            Path other = byTarget.put(target.toString().toLowerCase(Locale.ROOT), file);
            if (other != null) {
                throw new ParameterException(spec.commandLine(), "images '" + other.getFileName() + "' and '"
                        + file.getFileName() + "' would both be drawn to '" + target + "'; give them different names");
            }
            if (Files.exists(target)) {
                Path real;
                try {
                    real = target.toRealPath();
                } catch (IOException e) {
                    real = target.toAbsolutePath().normalize();
                }
                if (inputs.contains(real)) {
                    throw new ParameterException(spec.commandLine(), "the overlay '" + target + "' would replace an"
                            + " input image; name another --out directory");
                }
                if (!force) {
                    throw new ParameterException(spec.commandLine(), "--out: '" + target + "' exists; pass --force to"
                            + " replace it");
                }
            }
        }
    }

    /** One detection's [H, W] mask probabilities (masks are read one at a time: all of them may not fit in one array). */
    private static float[] mask(Detections d, int i) {
        try (NDArray one = d.masks().get(i)) {
            return one.toFloatArray();
        }
    }

    private JsonArray toJson(Detections d, int h, int w) {
        float[] boxes = d.boxes().toFloatArray();
        long[] labels = d.labels().toLongArray();
        float[] scores = d.scores().toFloatArray();
        JsonArray out = new JsonArray();
        for (int i = 0; i < scores.length; i++) {
            JsonObject o = new JsonObject();
            JsonArray box = new JsonArray();
            for (int j = 0; j < 4; j++) {
                box.add(boxes[i * 4 + j]);
            }
            o.add("box", box);
            o.addProperty("label", labels[i]);
            if (categories != null && labels[i] >= 1 && labels[i] <= categories.size()) {
                o.addProperty("category", categories.get((int) labels[i] - 1));
            }
            o.addProperty("score", scores[i]);
            float[] m = mask(d, i);
            long area = 0;
            for (float v : m) {
                if (v > 0.5f) {
                    area++;
                }
            }
            o.addProperty("mask_area", area);
            if (masks) {
                JsonObject seg = new JsonObject();
                JsonArray size = new JsonArray();
                size.add(h);
                size.add(w);
                seg.add("size", size);
                JsonArray counts = new JsonArray();
                for (long c : MaskRle.encode(m, 0, h, w, 0.5f).counts()) {
                    counts.add(c);
                }
                seg.add("counts", counts);
                o.add("segmentation", seg);
            }
            out.add(o);
        }
        return out;
    }

    private void printTable(PrintWriter w, Path file, BufferedImage picture, JsonArray detections) {
        w.println("# " + file + " (" + picture.getWidth() + "x" + picture.getHeight() + "): " + detections.size()
                + " detection(s)");
        if (detections.isEmpty()) {
            return;
        }
        w.println(String.format(Locale.ROOT, "%4s %6s %7s  %-32s %9s", "rank", "label", "score", "box (x1, y1, x2, y2)",
                "mask_area") + (categories != null ? "  category" : ""));
        for (int i = 0; i < detections.size(); i++) {
            JsonObject o = detections.get(i).getAsJsonObject();
            JsonArray b = o.getAsJsonArray("box");
            w.println(String.format(Locale.ROOT, "%4d %6d %7.4f  %-32s %9d", i + 1, o.get("label").getAsLong(),
                    o.get("score").getAsFloat(), String.format(Locale.ROOT, "%.1f, %.1f, %.1f, %.1f",
                            b.get(0).getAsFloat(), b.get(1).getAsFloat(), b.get(2).getAsFloat(), b.get(3).getAsFloat()),
                    o.get("mask_area").getAsLong()) + (o.has("category") ? "  " + o.get("category").getAsString() : ""));
        }
    }

    private static String stem(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }
}
