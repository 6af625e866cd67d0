package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.Parity;
import org.fx4j.detection.ops.PasteMasks;
import org.fx4j.nn.ForwardContext;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * maskrcnn_resnet50_fpn against torchvision 0.14.1 in float64, stage by stage, each stage fed
 * torchvision's inputs: a random model (batch-norm statistics perturbed, 7 classes, {@code
 * box_score_thresh=0}, min/max size 320/512 to keep float64 fast), two images of different odd sizes
 * (301x457 and 240x200) in one batch.
 */
class MaskRCNNParityTest {

    /** Round-off bound relative to each stage's largest value (float64 through ResNet-50 and the heads). */
    private static final double REL = 1e-9;

    @TempDir
    static Path ref;

    private static NDManager manager;
    private static JsonObject summary;
    private static MaskRCNN model;
    private static StateDict stages;
    private static List<NDArray> images;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (!TorchvisionReference.isAvailable()) {
            return;
        }
        summary = JsonParser.parseString(TorchvisionReference.run(MaskRCNNParityTest.class,
                "/reference/maskrcnn_parity.py", ref.toString())).getAsJsonObject();
        model = DetectionModels.maskrcnnResnet50Fpn(7, false,
                new RcnnConfig().minSize(320).maxSize(512).boxScoreThresh(0));
        Checkpoints.load(model, ref.resolve("state.npz"), manager,
                CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build());
        model.eval();
        stages = Checkpoints.read(ref.resolve("stages.npz"), manager);
        images = new ArrayList<>();
        try (StateDict in = Checkpoints.read(ref.resolve("images.npz"), manager)) {
            for (String k : List.of("0", "1")) {
                NDArray image = in.get(k).duplicate();
                image.attach(manager);
                images.add(image);
            }
        }
        JniUtils.setGradMode(false);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static void close(String what, NDArray actual, NDArray expected, double rel) {
        Parity.assertClose("maskrcnn parity", what, actual, expected, rel);
    }

    @Test
    void stateDictKeysAreTorchvisions() {
        TorchvisionReference.assumeAvailable();
        List<String> keys = new ArrayList<>();
        summary.getAsJsonArray("keys").forEach(k -> keys.add(k.getAsString()));
        assertEquals(keys, List.copyOf(model.stateDict().keySet()));
    }

    @Test
    void frozenBatchNormLayoutIsThePretrainedCheckpoints() {
        TorchvisionReference.assumeAvailable();
        MaskRCNN frozen = DetectionModels.maskrcnnResnet50Fpn(91, true, new RcnnConfig());
        List<String> keys = new ArrayList<>();
        summary.getAsJsonArray("frozen_keys").forEach(k -> keys.add(k.getAsString()));
        assertEquals(keys, List.copyOf(frozen.stateDict().keySet()), "FrozenBatchNorm2d keys (no num_batches_tracked)");
        List<String> trainable = new ArrayList<>();
        summary.getAsJsonArray("frozen_trainable").forEach(k -> trainable.add(k.getAsString()));
        assertEquals(trainable, List.copyOf(frozen.namedParameters().keySet()), "3 trainable backbone stages");
    }

    @Test
    void fasterRcnnKeysAreTorchvisions() {
        TorchvisionReference.assumeAvailable();
        List<String> keys = new ArrayList<>();
        summary.getAsJsonArray("faster_keys").forEach(k -> keys.add(k.getAsString()));
        assertEquals(keys, List.copyOf(DetectionModels.fasterrcnnResnet50Fpn(91).stateDict().keySet()));
    }

    @Test
    void resizeRoundsAsTorchvision() {
        TorchvisionReference.assumeAvailable();
        GeneralizedRCNNTransform t = new GeneralizedRCNNTransform(new RcnnConfig());
        for (Map.Entry<String, com.google.gson.JsonElement> e : summary.getAsJsonObject("resize").entrySet()) {
            String[] hw = e.getKey().split("x");
            JsonArray sizes = e.getValue().getAsJsonArray().get(0).getAsJsonArray();
            int[] expected = {sizes.get(0).getAsInt(), sizes.get(1).getAsInt()};
            assertArrayEquals(expected, t.resizedSize(Integer.parseInt(hw[0]), Integer.parseInt(hw[1])), e.getKey());
            JsonArray padded = e.getValue().getAsJsonArray().get(1).getAsJsonArray();
            try (NDManager m = manager.newSubManager()) {
                ImageList batch = t.transform(List.of(m.zeros(new ai.djl.ndarray.types.Shape(3,
                        Integer.parseInt(hw[0]), Integer.parseInt(hw[1])))), m);
                assertEquals(padded.get(0).getAsInt(), batch.height(), e.getKey() + " padded height");
                assertEquals(padded.get(1).getAsInt(), batch.width(), e.getKey() + " padded width");
            }
        }
    }

    @Test
    void stagesMatchTorchvisionInFloat64() {
        TorchvisionReference.assumeAvailable();
        try (NDManager m = manager.newSubManager()) {
            ForwardContext ctx = ForwardContext.eager(model);
            ImageList batch = model.transform().transform(images, m);
            close("transform", batch.tensors(), stages.get("batch"), 1e-13);
            ImageList refBatch = new ImageList(stages.get("batch"), batch.imageSizes());
            Map<String, NDArray> features = model.features(ctx, refBatch.tensors());
            close("features 3", features.get("3"), stages.get("feature.3"), REL);
            close("features pool", features.get("pool"), stages.get("feature.pool"), REL);
            NDArray anchors = model.rpn().anchorGenerator().anchors(refBatch, new ArrayList<>(features.values()), m);
            close("anchors", anchors, stages.get("anchors"), 0);
            RegionProposalNetwork.Proposals proposals = model.rpn().propose(ctx, refBatch,
                    new ArrayList<>(features.values()));
            List<NDArray> refProposals = List.of(stages.get("proposals.0"), stages.get("proposals.1"));
            for (int i = 0; i < 2; i++) {
                close("proposals " + i, proposals.boxes().get(i), refProposals.get(i), REL);
            }
            NDArray pooled = model.roiHeads().boxRoiPool().pool(features, refProposals, batch.imageSizes());
            close("box roi_align (first 40)", pooled.get("0:40"), stages.get("box_pooled_head"), REL);
            NDList box = model.roiHeads().boxOutputs(ctx, features, refProposals, batch.imageSizes());
            close("class logits", box.get(0), stages.get("class_logits"), REL);
            close("box regression", box.get(1), stages.get("box_regression"), REL);
            List<Detections> dets = model.roiHeads().detect(ctx, features, refProposals, batch.imageSizes());
            for (int i = 0; i < 2; i++) {
                Detections d = dets.get(i);
                close("detections " + i + " boxes", d.boxes(), stages.get("detections." + i + ".boxes"),
                        REL);
                assertArrayEquals(stages.get("detections." + i + ".labels").toLongArray(), d.labels().toLongArray());
                close("detections " + i + " scores", d.scores(), stages.get("detections." + i
                        + ".scores"), REL);
                close("detections " + i + " masks 28x28", d.masks(), stages.get("detections." + i
                        + ".masks"), REL);
                int[] original = {(int) images.get(i).getShape().get(1), (int) images.get(i).getShape().get(2)};
                NDArray boxes = GeneralizedRCNNTransform.resizeBoxes(stages.get("detections." + i + ".boxes"),
                        batch.imageSizes().get(i), original);
                close("final " + i + " boxes", boxes, stages.get("final." + i + ".boxes"), 1e-15);
                NDArray pasted = PasteMasks.paste(stages.get("detections." + i + ".masks"), boxes, original[0],
                        original[1]);
                close("final " + i + " pasted masks (first 8)", pasted.get("0:8"),
                        stages.get("final." + i + ".masks_head"), 1e-14);
            }
        }
    }

    @Test
    void detectEndToEndMatchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        try (NDManager m = manager.newSubManager()) {
            List<NDArray> in = new ArrayList<>();
            for (NDArray image : images) {
                in.add(image.duplicate());
                in.get(in.size() - 1).attach(m);
            }
            List<Detections> out = model.detect(in);
            for (int i = 0; i < 2; i++) {
                Detections d = out.get(i);
                close("detect " + i + " boxes", d.boxes(), stages.get("final." + i + ".boxes"), REL);
                assertArrayEquals(stages.get("detections." + i + ".labels").toLongArray(), d.labels().toLongArray());
                NDArray area = d.masks().gt(0.5).sum(new int[] {1, 2, 3});
                assertArrayEquals(stages.get("final." + i + ".mask_area").toLongArray(), area.toLongArray(),
                        "mask areas (pixels > 0.5)");
            }
        }
    }
}
