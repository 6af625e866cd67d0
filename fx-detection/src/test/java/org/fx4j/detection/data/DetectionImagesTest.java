package org.fx4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection inputs (grey, 16-bit, RGBA, palette images through PNG files) and COCO RLE. */
class DetectionImagesTest {

    @TempDir
    Path dir;

    private float[] load(BufferedImage image, String name) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, "png", file.toFile()));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = DetectionImages.toArray(DetectionImages.read(file), m);
            assertEquals(new Shape(3, image.getHeight(), image.getWidth()), a.getShape());
            return a.toFloatArray();
        }
    }

    @Test
    void greySixteenBitRgbaAndPaletteImagesConvert() throws IOException {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 51);
        grey.getRaster().setSample(1, 0, 0, 255);
        // samples as stored (Java's getRGB would gamma-convert its linear grey): 51/255, repeated per channel
        assertArrayEquals(new float[] {0.2f, 1f, 0.2f, 1f, 0.2f, 1f}, load(grey, "grey.png"), 1e-7f);

        BufferedImage deep = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setSample(0, 0, 0, 65535);
        deep.getRaster().setSample(1, 0, 0, 13107);
        assertArrayEquals(new float[] {1f, 0.2f, 1f, 0.2f, 1f, 0.2f}, load(deep, "grey16.png"), 1e-7f);

        BufferedImage rgba = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, (0x10 << 24) | (255 << 16) | (102 << 8) | 51);
        assertArrayEquals(new float[] {1f, 0.4f, 0.2f}, load(rgba, "rgba.png"), 1e-7f, "alpha dropped");

        IndexColorModel palette = new IndexColorModel(8, 2, new byte[] {0, (byte) 255}, new byte[] {0, 51},
                new byte[] {0, 102});
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        WritableRaster r = indexed.getRaster();
        r.setSample(1, 0, 0, 1);
        assertArrayEquals(new float[] {0f, 1f, 0f, 0.2f, 0f, 0.4f}, load(indexed, "palette.png"), 1e-7f);
    }

    @Test
    void directoriesAndBadFiles() throws IOException {
        assertTrue(assertThrows(IOException.class, () -> DetectionImages.list(dir)).getMessage()
                .contains("no PNG or JPEG images"));
        Files.writeString(dir.resolve("b.png"), "not a png");
        Files.writeString(dir.resolve("a.jpg"), "x");
        Files.writeString(dir.resolve("notes.txt"), "x");
        assertEquals(List.of(dir.resolve("a.jpg"), dir.resolve("b.png")), DetectionImages.list(dir));
        assertTrue(assertThrows(IOException.class, () -> DetectionImages.read(dir.resolve("b.png"))).getMessage()
                .contains("not a PNG or JPEG image"));
    }
}
