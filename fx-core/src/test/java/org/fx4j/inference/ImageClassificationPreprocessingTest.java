package org.fx4j.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.fx4j.io.Npy;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** torchvision's ImageClassification preset, run by torchvision on the same float64 images. */
class ImageClassificationPreprocessingTest {

    @Test
    void matchesTorchvisionInFloat64(@TempDir Path dir) throws Exception {
        // {C or N, C, H, W, resize, crop}: down- and upscaling, portrait and landscape, odd crop offsets
        // (3.5 rounds to 4, 2.5 to 2), an image smaller than the crop (padding), a batch
        // and uneven padding of the width (a 13 x 8 resize cropped to 13: 2 columns left, 3 right)
        int[][] cases = {{3, 301, 457, 256, 224}, {3, 180, 97, 64, 57}, {3, 40, 50, 48, 60}, {3, 20, 31, 23, 20},
            {3, 15, 9, 8, 13}};
        try (NDManager m = NDManager.newBaseManager()) {
            int k = 0;
            for (int[] c : cases) {
                for (boolean aa : new boolean[] {false, true}) {
                    NDArray x = m.randomUniform(0, 1, new Shape(c[0], c[1], c[2]), DataType.FLOAT64);
                    check(m, dir, x, c[3], c[4], aa, "case " + k++);
                }
            }
            NDArray batch = m.randomUniform(0, 1, new Shape(2, 3, 90, 120), DataType.FLOAT64);
            check(m, dir, batch, 70, 64, false, "batch");
        }
    }

    @Test
    void matchesTorchvisionInFloat32(@TempDir Path dir) throws Exception {
        // the non-antialiased resize forms positions and weights as torch's float32 kernel does
        try (NDManager m = NDManager.newBaseManager()) {
            check(m, dir, m.randomUniform(0, 1, new Shape(3, 301, 457), DataType.FLOAT32), 256, 224, false, "float32");
        }
    }

    private static void check(NDManager m, Path dir, NDArray x, int resize, int crop, boolean aa, String what)
            throws Exception {
        Path in = dir.resolve("in.npy");
        Path out = dir.resolve("out.npy");
        Npy.write(in, x);
        TorchvisionReference.run(ImageClassificationPreprocessingTest.class, "/reference/classification_preset.py",
                in.toString(), Integer.toString(resize), Integer.toString(crop), aa ? "1" : "0", out.toString());
        NDArray want = Npy.read(out, m, true);
        NDArray got = new ImageClassificationPreprocessing(resize, crop, ImageClassificationPreprocessing.imagenetMean(),
                ImageClassificationPreprocessing.imagenetStd(), aa).transform(x);
        assertEquals(want.getShape(), got.getShape(), what);
        assertEquals(x.getDataType(), got.getDataType());
        boolean single = x.getDataType() == DataType.FLOAT32;
        double[] a = want.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] b = got.toType(DataType.FLOAT64, false).toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            // float32: a few units in the last place of values up to ~2.6 (normalised)
            assertEquals(a[i], b[i], single ? 1e-6 : 1e-12, what + " (antialias " + aa + ") value " + i);
        }
    }

    @Test
    void sizesAndUint8() {
        assertArrayEquals(new int[] {256, 388}, ImageClassificationPreprocessing.resizedSize(301, 457, 256));
        assertArrayEquals(new int[] {118, 64}, ImageClassificationPreprocessing.resizedSize(180, 97, 64));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray bytes = m.randomInteger(0, 256, new Shape(3, 40, 40), DataType.UINT8);
            ImageClassificationPreprocessing p = ImageClassificationPreprocessing.imagenet(32, 32);
            NDArray fromBytes = p.transform(bytes);
            NDArray fromFloats = p.transform(bytes.toType(DataType.FLOAT32, true).div(255f));
            assertEquals(DataType.FLOAT32, fromBytes.getDataType());
            assertArrayEquals(fromFloats.toFloatArray(), fromBytes.toFloatArray(), 1e-6f);
        }
    }

    @Test
    void badImagesAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            ImageClassificationPreprocessing p = ImageClassificationPreprocessing.imagenet(256, 224);
            assertMessage(() -> p.transform(m.zeros(new Shape(224, 224, 3), DataType.FLOAT32).get("..., 0")),
                    "an image is [C, H, W] or [N, C, H, W], got (224, 224)");
            assertMessage(() -> p.transform(m.zeros(new Shape(1, 32, 32))), "has 1 channels; the statistics have 3");
            assertMessage(() -> p.transform(m.zeros(new Shape(40, 32, 3))), "needs transpose(2, 0, 1) first");
            ImageClassificationPreprocessing antialiased = new ImageClassificationPreprocessing(256, 224,
                    ImageClassificationPreprocessing.imagenetMean(), ImageClassificationPreprocessing.imagenetStd(), true);
            assertMessage(() -> antialiased.transform(m.zeros(new Shape(3, 10, 300000))), "shrink the image first");
            assertMessage(() -> p.transform(m.zeros(new Shape(3, 0, 32))), "is empty");
            assertMessage(() -> p.transform(m.zeros(new Shape(3, 8, 8), DataType.INT32)), "got int32");
        }
        assertMessage(() -> new ImageClassificationPreprocessing(256, 224, new float[] {0.5f}, new float[] {0f}, false),
                "std must be positive");
    }

    private static void assertMessage(Runnable r, String expected) {
        String message = assertThrows(IllegalArgumentException.class, r::run).getMessage();
        assertTrue(message.contains(expected), message);
    }
}
