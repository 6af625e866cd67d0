package org.fx4j.examples.io;

import java.util.ArrayList;
import java.util.List;

/**
 * COCO's uncompressed run-length encoding of a binary mask ({@code {"size": [h, w], "counts":
 * [...]}}): runs over the pixels in column-major order, alternating background and foreground,
 * starting with background (a mask whose first pixel is set starts with a run of 0).
 */
public final class CocoRle {

    private CocoRle() {}

    /**
     * Encodes pixels above a threshold.
     *
     * @param values row-major [h, w] values
     * @param offset where the mask starts in {@code values}
     * @param h height
     * @param w width
     * @param threshold pixels strictly above it are foreground
     * @return the counts
     */
    public static List<Long> encode(float[] values, int offset, int h, int w, float threshold) {
        List<Long> counts = new ArrayList<>();
        boolean current = false;
        long run = 0;
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                boolean on = values[offset + y * w + x] > threshold;
                if (on != current) {
                    counts.add(run);
                    run = 0;
                    current = on;
                }
                run++;
            }
        }
        counts.add(run);
        return counts;
    }

    /**
     * Decodes counts back to a row-major mask.
     *
     * @param counts the counts
     * @param h height
     * @param w width
     * @return the mask
     * @throws IllegalArgumentException if the counts do not cover h x w pixels
     */
    public static boolean[] decode(List<Long> counts, int h, int w) {
        boolean[] mask = new boolean[h * w];
        long pos = 0;
        boolean on = false;
        for (long c : counts) {
            for (long k = 0; k < c; k++, pos++) {
                if (pos >= (long) h * w) {
                    throw new IllegalArgumentException("RLE counts cover more than " + h + "x" + w + " pixels");
                }
                int x = (int) (pos / h);
                int y = (int) (pos % h);
                mask[y * w + x] = on;
            }
            on = !on;
        }
        if (pos != (long) h * w) {
            throw new IllegalArgumentException("RLE counts cover " + pos + " pixels, not " + h + "x" + w);
        }
        return mask;
    }
}
