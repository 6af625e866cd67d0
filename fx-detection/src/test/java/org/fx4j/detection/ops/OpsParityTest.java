package org.fx4j.detection.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.Parity;
import org.fx4j.nn.ConvTranspose2d;
import org.fx4j.ops.BilinearResize;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The detection ops against torchvision 0.14.1 ({@code ops_parity.py}) on random and edge-case
 * inputs, float64 to round-off (float32 where a case says so): roi_align (boxes wholly and partly
 * outside, zero-size, tiny, the last pixel, no boxes; aligned, sampling ratios 2, 0 (adaptive) and
 * 1; two output sizes; its gradient), nms and batched_nms (ties, identical boxes, both strategies),
 * box_iou, clip_boxes_to_image, remove_small_boxes, transposed convolutions (six configurations),
 * bilinear resizing and mask pasting.
 */
class OpsParityTest {

    @TempDir
    static Path ref;

    private static NDManager manager;
    private static StateDict cases;
    private static StateDict expected;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (TorchvisionReference.isAvailable()) {
            TorchvisionReference.run(OpsParityTest.class, "/reference/ops_parity.py", ref.toString());
            cases = Checkpoints.read(ref.resolve("cases.npz"), manager);
            expected = Checkpoints.read(ref.resolve("expected.npz"), manager);
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static void close(String what, NDArray actual, NDArray exp, double rel) {
        Parity.assertClose("ops parity", what, actual, exp, rel);
    }

    @Test
    void roiAlignMatchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        NDArray input = cases.get("roi.input");
        NDArray rois = cases.get("roi.rois");
        try (NDManager m = manager.newSubManager()) {
            for (boolean aligned : new boolean[] {false, true}) {
                for (int sr : new int[] {2, 0, 1}) {
                    for (int[] size : new int[][] {{7, 7}, {3, 5}}) {
                        String key = "roi.out." + (aligned ? "True" : "False") + "." + sr + "." + size[0] + "x"
                                + size[1];
                        NDArray out = RoIAlign.roiAlign(input, rois, size[0], size[1], 0.25, sr, aligned);
                        out.attach(m);
                        close(key, out, expected.get(key), 1e-14);
                    }
                }
            }
            NDArray big = RoIAlign.roiAlign(cases.get("roi.big.input"), cases.get("roi.big.rois"), 7, 7, 1.0, 0, false);
            close("roi_align adaptive grids, chunked", big, expected.get("roi.big"), 1e-14);
            NDArray empty = RoIAlign.roiAlign(input, rois.get("0:0"), 7, 7, 0.25, 2, false);
            assertEquals(expected.get("roi.empty").getShape(), empty.getShape());
            NDArray out32 = RoIAlign.roiAlign(input.toType(DataType.FLOAT32, false), rois.toType(DataType.FLOAT32,
                    false), 7, 7, 0.25, 2, false);
            assertEquals(DataType.FLOAT32, out32.getDataType());
            close("roi float32", out32, expected.get("roi.float32"), 1e-6);
            // The module form, and clear errors.
            RoIAlign module = new RoIAlign(7, 7, 0.25, 2, false);
            close("RoIAlign module", module.forward(new NDList(input, rois)).singletonOrThrow(),
                    expected.get("roi.out.False.2.7x7"), 1e-14);
            NDArray badBatch = rois.get("0:1").duplicate();
            badBatch.set(new NDIndex("0, 0"), 2);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RoIAlign.roiAlign(input, badBatch, 7, 7,
                    0.25, 2, false)).getMessage().contains("batch index 2.0; the input holds 2 image(s)"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> RoIAlign.roiAlign(input, rois.get(":, 1:"),
                    7, 7, 0.25, 2, false)).getMessage().contains("[K, 5]"));
        }
    }

    @Test
    void roiAlignGradientMatchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        try (NDManager m = manager.newSubManager()) {
            NDArray input = cases.get("roi.input").duplicate();
            input.attach(m);
            input.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = RoIAlign.roiAlign(input, cases.get("roi.rois"), 7, 7, 0.25, 2, false);
                gc.backward(out.mul(cases.get("roi.grad_weight")).sum());
            }
            close("roi_align gradient", input.getGradient(), expected.get("roi.grad"), 1e-14);
        }
    }

    @Test
    void nmsMatchesTorchvision() {
        TorchvisionReference.assumeAvailable();
        NDArray b = cases.get("nms.boxes");
        NDArray s = cases.get("nms.scores");
        NDArray idxs = cases.get("nms.idxs");
        for (String t : List.of("0.3", "0.5", "0.7")) {
            double thr = Double.parseDouble(t);
            assertArrayEquals(expected.get("nms." + t).toLongArray(), Nms.nms(b, s, thr).toLongArray(), "nms " + t);
            assertArrayEquals(expected.get("batched." + t).toLongArray(), Nms.batchedNms(b, s, idxs, thr)
                    .toLongArray(), "batched_nms " + t);
        }
        assertArrayEquals(expected.get("nms.float32").toLongArray(), Nms.nms(b.toType(DataType.FLOAT32, false),
                s.toType(DataType.FLOAT32, false), 0.5).toLongArray(), "nms float32");
        assertArrayEquals(expected.get("bnms.0.5").toLongArray(), Nms.batchedNms(cases.get("bnms.boxes"),
                cases.get("bnms.scores"), cases.get("bnms.idxs"), 0.5).toLongArray(), "batched_nms per class");
        assertArrayEquals(expected.get("bnms.float32.0.5").toLongArray(), Nms.batchedNms(cases.get("bnms.boxes")
                .toType(DataType.FLOAT32, false), cases.get("bnms.scores").toType(DataType.FLOAT32, false),
                cases.get("bnms.idxs"), 0.5).toLongArray(), "batched_nms per class, float32");
        NDArray db = cases.get("degenerate.boxes");
        NDArray ds = cases.get("degenerate.scores");
        for (String t : List.of("0.0", "0.5")) {
            double thr = Double.parseDouble(t);
            assertArrayEquals(expected.get("degenerate." + t).toLongArray(), Nms.nms(db, ds, thr).toLongArray(),
                    "nms of degenerate boxes at " + t);
            assertArrayEquals(expected.get("degenerate.float32." + t).toLongArray(), Nms.nms(db.toType(
                    DataType.FLOAT32, false), ds.toType(DataType.FLOAT32, false), thr).toLongArray(),
                    "nms of degenerate float32 boxes at " + t);
        }
        NDArray nb = cases.get("nonfinite.boxes");
        NDArray ns = cases.get("nonfinite.scores");
        NDArray nc = cases.get("nonfinite.idxs");
        assertArrayEquals(expected.get("nonfinite.nms").toLongArray(), Nms.nms(nb, ns, 0.5).toLongArray(),
                "nms with NaN/inf boxes and scores");
        assertArrayEquals(expected.get("nonfinite.nms.float32").toLongArray(), Nms.nms(nb.toType(DataType.FLOAT32,
                false), ns.toType(DataType.FLOAT32, false), 0.5).toLongArray(), "float32 nms with NaN/inf");
        assertArrayEquals(expected.get("nonfinite.batched").toLongArray(), Nms.batchedNms(nb, ns, nc, 0.5)
                .toLongArray(), "batched_nms per class with NaN/inf");
        assertArrayEquals(expected.get("nonfinite.batched.small").toLongArray(), Nms.batchedNms(nb.get("0:200"),
                ns.get("0:200"), nc.get("0:200"), 0.5).toLongArray(), "batched_nms coordinate trick with NaN/inf");
        NDArray none = Nms.nms(b.get("0:0"), s.get("0:0"), 0.5);
        assertEquals(new Shape(0), none.getShape());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Nms.nms(b, s.get("0:3"), 0.5)).getMessage()
                .contains("scores of shape [200]"));
    }

    @Test
    void boxOpsMatchTorchvision() {
        TorchvisionReference.assumeAvailable();
        close("box_iou", BoxOps.boxIou(cases.get("iou.a"), cases.get("iou.b")), expected.get("iou"), 1e-15);
        close("clip_boxes_to_image", BoxOps.clipBoxesToImage(cases.get("clip.boxes"), 37, 51), expected.get("clip"),
                0);
        assertArrayEquals(expected.get("small.0.01").toLongArray(), BoxOps.removeSmallBoxes(cases.get("small.boxes"),
                0.01).toLongArray());
        assertArrayEquals(expected.get("small.1").toLongArray(), BoxOps.removeSmallBoxes(cases.get("small.boxes"),
                1.0).toLongArray());
    }

    @Test
    void transposedConvolutionsMatchTorch() {
        TorchvisionReference.assumeAvailable();
        NDArray x = cases.get("convt.x");
        int[][] configs = {{2, 2, 0, 0, 1}, {3, 2, 1, 1, 1}, {4, 3, 2, 0, 2}, {3, 1, 0, 0, 1}, {1, 1, 0, 0, 3},
            {2, 1, 1, 0, 1}, {3, 3, 0, 0, 1}};
        String[] names = {"k2s2", "k3s2p1", "k4s3p2", "k3s1p0", "k1s1p0", "k2s1p1", "k3s3"};
        for (int i = 0; i < names.length; i++) {
            int[] c = configs[i];
            int out = c[4] == 3 ? 9 : 4;
            ConvTranspose2d layer = new ConvTranspose2d(6, out, c[0], c[1], c[2], c[3], c[4], true);
            try (NDManager m = manager.newSubManager()) {
                layer.initialize(m, DataType.FLOAT64);
                layer.getWeight().getArray().set(new NDIndex(":"), cases.get("convt." + names[i] + ".weight"));
                layer.getDirectParameters().get("bias").getArray().set(new NDIndex(":"), cases.get("convt." + names[i]
                        + ".bias"));
                close("conv_transpose2d " + names[i], layer.forward(x), expected.get("convt." + names[i]), 1e-14);
                assertEquals(new Shape(2, 6, 5, 7), x.getShape(), "the input's shape is untouched by " + names[i]);
            }
        }
        ConvTranspose2d noBias = new ConvTranspose2d(6, 4, 2, 2, 0, 0, 1, false);
        try (NDManager m = manager.newSubManager()) {
            noBias.initialize(m, DataType.FLOAT64);
            noBias.getWeight().getArray().set(new NDIndex(":"), cases.get("convt.k2s2.weight"));
            close("conv_transpose2d k2s2 without bias", noBias.forward(x), expected.get("convt.k2s2.nobias"), 1e-14);
        }
        assertThrows(IllegalArgumentException.class, () -> new ConvTranspose2d(6, 4, 3, 2, 0, 2, 1, true));
    }

    @Test
    void bilinearResizeAndMaskPastingMatchTorchvision() {
        TorchvisionReference.assumeAvailable();
        NDArray img = cases.get("resize.x");
        for (int[] size : new int[][] {{47, 61}, {10, 13}, {23, 64}, {1, 1}, {5, 31}}) {
            String key = "resize." + size[0] + "x" + size[1];
            close(key, BilinearResize.resize(img, size[0], size[1]), expected.get(key), 1e-14);
        }
        close("resize float32", BilinearResize.resize(img.toType(DataType.FLOAT32, false), 40, 50),
                expected.get("resize.float32.40x50"), 3e-7);
        NDArray masks = cases.get("paste.masks");
        NDArray boxes = cases.get("paste.boxes");
        close("paste_masks_in_image", PasteMasks.paste(masks, boxes, 60, 80), expected.get("paste"), 1e-14);
        close("paste_masks_in_image 28x14 masks", PasteMasks.paste(cases.get("paste.nonsquare"), boxes.get("0:3"), 60,
                80), expected.get("paste.nonsquare"), 1e-14);
        close("paste_masks_in_image float32", PasteMasks.paste(masks.toType(DataType.FLOAT32, false),
                boxes.toType(DataType.FLOAT32, false), 60, 80), expected.get("paste.float32"), 3e-7);
    }
}
