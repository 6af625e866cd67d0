package org.fx4j.examples.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Writes a feature map [N, C, H, W] as a grid picture of its first image's channels (up to 64),
 * each channel min-max scaled to grey levels and enlarged to at least 32 pixels.
 */
public final class FeatureMapPicture {

    /** The most channels drawn. */
    public static final int MAX_CHANNELS = 64;

    private FeatureMapPicture() {}

    /**
     * Returns whether an array can be drawn (rank 4).
     *
     * @param array the array
     * @return true for NCHW arrays
     */
    public static boolean drawable(NDArray array) {
        return array.getShape().dimension() == 4;
    }

    /**
     * Draws and writes the picture.
     *
     * @param array an NCHW feature map
     * @param file the PNG file
     * @throws IOException if it cannot be written
     */
    public static void write(NDArray array, Path file) throws IOException {
        Shape s = array.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("Only NCHW feature maps can be drawn, got shape " + s);
        }
        int c = (int) Math.min(s.get(1), MAX_CHANNELS);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] data;
        try (NDArray first = array.get(0)) {
            data = first.toFloatArray();
        }
        int scale = Math.max(1, (int) Math.ceil(32.0 / Math.min(h, w)));
        int cols = (int) Math.ceil(Math.sqrt(c));
        int rows = (int) Math.ceil(c / (double) cols);
        int tileW = w * scale + 2;
        int tileH = h * scale + 2;
        BufferedImage img = new BufferedImage(cols * tileW, rows * tileH, BufferedImage.TYPE_BYTE_GRAY);
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < h * w; i++) {
                min = Math.min(min, data[base + i]);
                max = Math.max(max, data[base + i]);
            }
            float range = max > min ? max - min : 1f;
            int ox = (ch % cols) * tileW + 1;
            int oy = (ch / cols) * tileH + 1;
            for (int y = 0; y < h * scale; y++) {
                for (int x = 0; x < w * scale; x++) {
                    float v = (data[base + (y / scale) * w + x / scale] - min) / range;
                    int g = Math.round(v * 255);
                    img.getRaster().setSample(ox + x, oy + y, 0, g);
                }
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
