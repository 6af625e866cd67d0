package org.fx4j.detection.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A binary mask in COCO's run-length encoding (pycocotools' {@code RLE}): runs over the pixels in
 * column-major order, alternating background and foreground and starting with background. Reads and
 * writes both of COCO's forms (uncompressed {@code counts} lists and compressed strings), rasterises
 * polygons as pycocotools does, and gives the area, bounding box and IoU that COCO's evaluation uses.
 * Immutable.
 */
public final class MaskRle {

    private final int height;
    private final int width;
    private final long[] counts;

    private MaskRle(int height, int width, long[] counts) {
        this.height = height;
        this.width = width;
        this.counts = counts;
    }

    /**
     * Wraps run lengths, checking that they cover the mask exactly.
     *
     * @param height the mask's height
     * @param width the mask's width
     * @param counts the runs, background first
     * @return the mask
     * @throws IllegalArgumentException for negative sizes or runs, or runs not summing to height x width
     */
    public static MaskRle of(int height, int width, long[] counts) {
        if (height < 0 || width < 0) {
            throw new IllegalArgumentException("RLE size must be non-negative, got [" + height + ", " + width + "]");
        }
        long sum = 0;
        for (long c : counts) {
            if (c < 0) {
                throw new IllegalArgumentException("RLE counts must be non-negative, got " + c);
            }
            sum += c;
        }
        if (sum != (long) height * width) {
            throw new IllegalArgumentException("RLE counts sum to " + sum + " pixels but the size [" + height + ", "
                    + width + "] has " + (long) height * width);
        }
        return new MaskRle(height, width, counts.clone());
    }

    /**
     * Encodes a row-major mask.
     *
     * @param mask row-major [height, width] pixels
     * @param height the height
     * @param width the width
     * @return the mask
     */
    public static MaskRle encode(boolean[] mask, int height, int width) {
        if (mask.length != height * width) {
            throw new IllegalArgumentException("mask has " + mask.length + " pixels, not " + height + "x" + width);
        }
        return encode((y, x) -> mask[y * width + x], height, width);
    }

    /**
     * Encodes the pixels of row-major values strictly above a threshold.
     *
     * @param values row-major [height, width] values
     * @param offset where the mask starts in {@code values}
     * @param height the height
     * @param width the width
     * @param threshold pixels strictly above it are foreground
     * @return the mask
     */
    public static MaskRle encode(float[] values, int offset, int height, int width, float threshold) {
        return encode((y, x) -> values[offset + y * width + x] > threshold, height, width);
    }

    /** A pixel test for {@link #encode(PixelTest, int, int)}. */
    @FunctionalInterface
    public interface PixelTest {
        /**
         * @param y the row
         * @param x the column
         * @return whether the pixel is foreground
         */
        boolean on(int y, int x);
    }

    /**
     * Encodes the pixels a test accepts.
     *
     * @param test the pixel test
     * @param height the height
     * @param width the width
     * @return the mask
     */
    public static MaskRle encode(PixelTest test, int height, int width) {
        long[] runs = new long[16];
        int n = 0;
        boolean current = false;
        long run = 0;
        for (int x = 0; x < width; x++) {
            for (int y = 0; y < height; y++) {
                boolean on = test.on(y, x);
                if (on != current) {
                    if (n == runs.length) {
                        runs = Arrays.copyOf(runs, n * 2);
                    }
                    runs[n++] = run;
                    run = 0;
                    current = on;
                }
                run++;
            }
        }
        if (n == runs.length) {
            runs = Arrays.copyOf(runs, n + 1);
        }
        runs[n++] = run;
        return new MaskRle(height, width, Arrays.copyOf(runs, n));
    }

    /**
     * Decodes COCO's compressed string form ({@code rleFrString}: each count minus the count two
     * before it, in 5-bit groups with a continuation bit, offset by 48).
     *
     * @param text the compressed counts
     * @param height the mask's height
     * @param width the mask's width
     * @return the mask
     * @throws IllegalArgumentException if the string is malformed or does not cover the mask
     */
    public static MaskRle fromString(String text, int height, int width) {
        List<Long> runs = new ArrayList<>();
        int p = 0;
        while (p < text.length()) {
            long x = 0;
            int k = 0;
            boolean more = true;
            while (more) {
                if (p >= text.length()) {
                    throw new IllegalArgumentException("compressed RLE string ends inside a count: '" + clip(text) + "'");
                }
                int c = text.charAt(p) - 48;
                if (c < 0 || c > 63) {
                    throw new IllegalArgumentException("compressed RLE string has a character outside '0'..'o' at "
                            + p + ": '" + clip(text) + "'");
                }
                if (k > 12) {
                    throw new IllegalArgumentException("compressed RLE string has a count too long at " + p);
                }
                x |= (long) (c & 0x1f) << (5 * k);
                more = (c & 0x20) != 0;
                p++;
                k++;
                if (!more && (c & 0x10) != 0) {
                    x |= -1L << (5 * k);
                }
            }
            if (runs.size() > 2) {
                x += runs.get(runs.size() - 2);
            }
            runs.add(x);
        }
        return of(height, width, runs.stream().mapToLong(Long::longValue).toArray());
    }

    private static String clip(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * COCO's compressed string form ({@code rleToString}), as pycocotools writes it.
     *
     * @return the compressed counts
     */
    public String toCompressedString() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < counts.length; i++) {
            long x = counts[i];
            if (i > 2) {
                x -= counts[i - 2];
            }
            boolean more = true;
            while (more) {
                int c = (int) (x & 0x1f);
                x >>= 5;
                more = (c & 0x10) != 0 ? x != -1 : x != 0;
                if (more) {
                    c |= 0x20;
                }
                sb.append((char) (c + 48));
            }
        }
        return sb.toString();
    }

    /**
     * pycocotools' {@code rleFrPoly}: the polygon is upsampled 5x, its boundary walked in integer
     * steps and the pixels whose centres fall inside (by pycocotools' rounding) are set.
     *
     * @param xy x0, y0, x1, y1, ... (at least 3 points)
     * @param height the mask's height
     * @param width the mask's width
     * @return the mask
     * @throws IllegalArgumentException for fewer than 3 points, an odd count or non-finite coordinates
     */
    public static MaskRle fromPolygon(double[] xy, int height, int width) {
        if (xy.length % 2 != 0 || xy.length < 6) {
            throw new IllegalArgumentException("a polygon needs x, y pairs for at least 3 points, got "
                    + xy.length + " numbers");
        }
        for (double v : xy) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("polygon coordinates must be finite, got " + v);
            }
        }
        int k = xy.length / 2;
        double scale = 5;
        int[] x = new int[k + 1];
        int[] y = new int[k + 1];
        for (int j = 0; j < k; j++) {
            x[j] = (int) (scale * xy[2 * j] + .5);
            y[j] = (int) (scale * xy[2 * j + 1] + .5);
        }
        x[k] = x[0];
        y[k] = y[0];
        int m = 0;
        for (int j = 0; j < k; j++) {
            m += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
        }
        int[] u = new int[m];
        int[] v = new int[m];
        m = 0;
        for (int j = 0; j < k; j++) {
            int xs = x[j];
            int xe = x[j + 1];
            int ys = y[j];
            int ye = y[j + 1];
            int dx = Math.abs(xe - xs);
            int dy = Math.abs(ys - ye);
            boolean flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip) {
                int t = xs;
                xs = xe;
                xe = t;
                t = ys;
                ys = ye;
                ye = t;
            }
            double s = dx >= dy ? (double) (ye - ys) / dx : (double) (xe - xs) / dy;
            if (dx >= dy) {
                for (int d = 0; d <= dx; d++) {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int) (ys + s * t + .5);
                    m++;
                }
            } else {
                for (int d = 0; d <= dy; d++) {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int) (xs + s * t + .5);
                    m++;
                }
            }
        }
        int total = m;
        long[] a = new long[total + 1];
        int n = 0;
        for (int j = 1; j < total; j++) {
            if (u[j] != u[j - 1]) {
                double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
                xd = (xd + .5) / scale - .5;
                if (Math.floor(xd) != xd || xd < 0 || xd > width - 1) {
                    continue;
                }
                double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
                yd = (yd + .5) / scale - .5;
                if (yd < 0) {
                    yd = 0;
                } else if (yd > height) {
                    yd = height;
                }
                yd = Math.ceil(yd);
                a[n++] = (long) xd * height + (long) yd;
            }
        }
        a[n++] = (long) height * width;
        long[] sorted = Arrays.copyOf(a, n);
        Arrays.sort(sorted);
        long prev = 0;
        for (int j = 0; j < n; j++) {
            long t = sorted[j];
            sorted[j] -= prev;
            prev = t;
        }
        long[] b = new long[n];
        int j = 0;
        int mb = 0;
        b[mb++] = sorted[j++];
        while (j < n) {
            if (sorted[j] > 0) {
                b[mb++] = sorted[j++];
            } else {
                j++;
                if (j < n) {
                    b[mb - 1] += sorted[j++];
                }
            }
        }
        return new MaskRle(height, width, Arrays.copyOf(b, mb));
    }

    /**
     * The union of masks of one size (pycocotools' {@code merge} without intersection), as COCO
     * merges the polygons of one object.
     *
     * @param masks masks of equal size (at least one)
     * @return their union
     */
    public static MaskRle union(List<MaskRle> masks) {
        if (masks.isEmpty()) {
            throw new IllegalArgumentException("union of no masks");
        }
        MaskRle first = masks.get(0);
        if (masks.size() == 1) {
            return first;
        }
        boolean[] on = new boolean[first.height * first.width];
        for (MaskRle m : masks) {
            if (m.height != first.height || m.width != first.width) {
                throw new IllegalArgumentException("masks of different sizes: [" + first.height + ", " + first.width
                        + "] and [" + m.height + ", " + m.width + "]");
            }
            boolean[] d = m.decode();
            for (int i = 0; i < on.length; i++) {
                on[i] |= d[i];
            }
        }
        return encode(on, first.height, first.width);
    }

    /** @return the height */
    public int height() {
        return height;
    }

    /** @return the width */
    public int width() {
        return width;
    }

    /** @return a copy of the runs, background first */
    public long[] counts() {
        return counts.clone();
    }

    /** @return the number of foreground pixels */
    public long area() {
        long a = 0;
        for (int i = 1; i < counts.length; i += 2) {
            a += counts[i];
        }
        return a;
    }

    /**
     * The tight box around the foreground, pycocotools' {@code toBbox}: [x, y, w, h] in pixels, all 0
     * for an empty mask.
     *
     * @return the box
     */
    public double[] bbox() {
        if (height == 0 || area() == 0) {
            return new double[4];
        }
        long xs = Long.MAX_VALUE;
        long ys = Long.MAX_VALUE;
        long xe = -1;
        long ye = -1;
        long pos = 0;
        for (int i = 0; i < counts.length; i++) {
            long c = counts[i];
            if (i % 2 == 1 && c > 0) {
                long first = pos;
                long last = pos + c - 1;
                long x0 = first / height;
                long x1 = last / height;
                xs = Math.min(xs, x0);
                xe = Math.max(xe, x1);
                if (x0 == x1) {
                    ys = Math.min(ys, first % height);
                    ye = Math.max(ye, last % height);
                } else {
                    ys = 0;
                    ye = height - 1;
                }
            }
            pos += c;
        }
        return new double[] {xs, ys, xe - xs + 1, ye - ys + 1};
    }

    /**
     * Decodes to a row-major mask.
     *
     * @return [height, width] pixels, row-major
     */
    public boolean[] decode() {
        boolean[] mask = new boolean[height * width];
        long pos = 0;
        for (int i = 0; i < counts.length; i++) {
            if (i % 2 == 1) {
                for (long p = pos; p < pos + counts[i]; p++) {
                    int x = (int) (p / height);
                    int y = (int) (p % height);
                    mask[y * width + x] = true;
                }
            }
            pos += counts[i];
        }
        return mask;
    }

    /**
     * The foreground pixels they share, by merging the runs.
     *
     * @param other a mask of the same size
     * @return the intersection's area
     */
    public long intersection(MaskRle other) {
        if (other.height != height || other.width != width) {
            throw new IllegalArgumentException("masks of different sizes: [" + height + ", " + width + "] and ["
                    + other.height + ", " + other.width + "]");
        }
        long inter = 0;
        int i = 0;
        int j = 0;
        long ai = counts.length > 0 ? counts[0] : 0;
        long bj = other.counts.length > 0 ? other.counts[0] : 0;
        long total = (long) height * width;
        long pos = 0;
        while (pos < total && i < counts.length && j < other.counts.length) {
            long step = Math.min(ai, bj);
            if (i % 2 == 1 && j % 2 == 1) {
                inter += step;
            }
            pos += step;
            ai -= step;
            bj -= step;
            while (ai == 0 && ++i < counts.length) {
                ai = counts[i];
            }
            while (bj == 0 && ++j < other.counts.length) {
                bj = other.counts[j];
            }
        }
        return inter;
    }

    /**
     * pycocotools' mask IoU of a detection against a ground truth: intersection over union, or for a
     * crowd ground truth intersection over the detection's area; 0 when the denominator is 0.
     *
     * @param detection the detection's mask
     * @param truth the ground truth's mask
     * @param crowd whether the ground truth is a crowd region
     * @return the IoU
     */
    public static double iou(MaskRle detection, MaskRle truth, boolean crowd) {
        long inter = detection.intersection(truth);
        long da = detection.area();
        double union = crowd ? da : da + truth.area() - inter;
        return union > 0 ? inter / union : 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MaskRle m && m.height == height && m.width == width && Arrays.equals(m.counts, counts);
    }

    @Override
    public int hashCode() {
        return (31 * height + width) * 31 + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "MaskRle[" + height + "x" + width + ", area " + area() + "]";
    }
}
