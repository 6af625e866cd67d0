package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.fx4j.ops.BilinearResize;
import org.fx4j.ops.Precision;

/**
 * torchvision's {@code paste_masks_in_image}: each [Mh, Mw] mask is padded by one pixel of zeros, its
 * box widened by {@code (Mw + 2) / Mw} about its centre (torchvision takes the scale from the width)
 * and truncated to integers, the padded mask
 * resized bilinearly (no antialiasing) to the box's {@code (x2 - x1 + 1) x (y2 - y1 + 1)} pixels and
 * written into a zero image where box and image overlap. The result holds probabilities; callers
 * threshold (torchvision's users take {@code > 0.5}).
 */
public final class PasteMasks {

    private PasteMasks() {}

    /**
     * Pastes masks into an image.
     *
     * @param masks [N, 1, Mh, Mw] mask probabilities, float32 or float64
     * @param boxes [N, 4] boxes in the image's pixels
     * @param height image height
     * @param width image width
     * @return [N, 1, height, width] in the masks' type, in the masks' manager
     */
    public static NDArray paste(NDArray masks, NDArray boxes, int height, int width) {
        Shape s = masks.getShape();
        if (s.dimension() != 4 || s.get(1) != 1 || s.get(2) == 0 || s.get(3) == 0) {
            throw new IllegalArgumentException("paste_masks_in_image expects masks of shape [N, 1, Mh, Mw], got " + s);
        }
        BoxOps.checkBoxes(boxes, "paste_masks_in_image");
        int n = (int) s.get(0);
        if (boxes.getShape().get(0) != n) {
            throw new IllegalArgumentException("paste_masks_in_image: " + n + " masks but " + boxes.getShape().get(0)
                    + " boxes");
        }
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("paste_masks_in_image needs a positive image size, got " + height + "x"
                    + width);
        }
        Precision p = Precision.of(masks);
        int mh = (int) s.get(2);
        int mw = (int) s.get(3);
        double[] mv = Precision.values(masks);
        double[] bv = Precision.values(boxes);
        long pixels = (long) height * width;
        if (pixels > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("paste_masks_in_image: an image of " + height + "x" + width
                    + " exceeds 2^31 pixels");
        }
        // torchvision's expand_masks: one pixel of zeros around, the box scale from the width (M = shape[-1]).
        double scale = p.r((double) (mw + 2) / mw);
        boolean single = masks.getDataType() != DataType.FLOAT64;
        // Chunks of at most 2^28 values (one Java array each), pasted in parallel, joined natively.
        int perChunk = (int) Math.max(1, (1L << 28) / pixels);
        NDManager manager = masks.getManager();
        NDList parts = new NDList();
        for (int first = 0; first < n || (n == 0 && first == 0); first += perChunk) {
            int count = Math.min(perChunk, n - first);
            float[] outF = single ? new float[(int) (count * pixels)] : null;
            double[] outD = single ? null : new double[(int) (count * pixels)];
            int offset = first;
            java.util.stream.IntStream.range(0, count).parallel().forEach(k -> pasteOne(offset + k, k, mv, bv, mh, mw,
                    scale, height, width, p, outF, outD));
            Shape shape = new Shape(count, 1, height, width);
            parts.add(single ? manager.create(outF, shape) : manager.create(outD, shape));
            if (n == 0) {
                break;
            }
        }
        NDArray result = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        if (parts.size() > 1) {
            parts.close();
        }
        if (single && masks.getDataType() != DataType.FLOAT32) {
            result = result.toType(masks.getDataType(), false);
        }
        return result.toDevice(masks.getDevice(), false);
    }

    /** Pastes mask {@code i} into its plane of the output. */
    private static void pasteOne(int i, int slot, double[] mv, double[] bv, int mh, int mw, double scale, int height,
            int width, Precision p, float[] outF, double[] outD) {
        boolean single = outF != null;
        long pixels = (long) height * width;
        // expand_boxes: half sizes scaled about the centre, then truncated to int64
        double x1 = bv[i * 4];
        double y1 = bv[i * 4 + 1];
        double x2 = bv[i * 4 + 2];
        double y2 = bv[i * 4 + 3];
        double wHalf = p.r(p.r(p.r(x2 - x1) * 0.5) * scale);
        double hHalf = p.r(p.r(p.r(y2 - y1) * 0.5) * scale);
        double xc = p.r(p.r(x2 + x1) * 0.5);
        double yc = p.r(p.r(y2 + y1) * 0.5);
        long bx0 = (long) p.r(xc - wHalf);
        long by0 = (long) p.r(yc - hHalf);
        long bx1 = (long) p.r(xc + wHalf);
        long by1 = (long) p.r(yc + hHalf);
        int w = (int) Math.max(bx1 - bx0 + 1, 1);
        int h = (int) Math.max(by1 - by0 + 1, 1);
        long xa = Math.max(bx0, 0);
        long xb = Math.min(bx1 + 1, width);
        long ya = Math.max(by0, 0);
        long yb = Math.min(by1 + 1, height);
        if (xa >= xb || ya >= yb) {
            return;
        }
        BilinearResize.Taps tx = BilinearResize.taps(mw + 2, w, p);
        BilinearResize.Taps ty = BilinearResize.taps(mh + 2, h, p);
        int base = i * mh * mw;
        int outBase = (int) (slot * pixels);
        // Each padded row interpolated along x once (the padding rows and columns are zeros), then rows blended.
        int x0 = (int) (xa - bx0);
        int cols = (int) (xb - xa);
        double[] across = new double[(mh + 2) * cols];
        for (int r = 1; r <= mh; r++) {
            for (int k = 0; k < cols; k++) {
                int ox = x0 + k;
                across[r * cols + k] = p.r(p.r(tx.l0[ox] * at(mv, base, mh, mw, r - 1, (int) tx.i0[ox] - 1))
                        + p.r(tx.l1[ox] * at(mv, base, mh, mw, r - 1, (int) tx.i1[ox] - 1)));
            }
        }
        for (long y = ya; y < yb; y++) {
            int oy = (int) (y - by0);
            int r0 = (int) ty.i0[oy] * cols;
            int r1 = (int) ty.i1[oy] * cols;
            double ly0 = ty.l0[oy];
            double ly1 = ty.l1[oy];
            int row = outBase + (int) (y * width + xa);
            for (int k = 0; k < cols; k++) {
                double v = p.r(p.r(ly0 * across[r0 + k]) + p.r(ly1 * across[r1 + k]));
                if (single) {
                    outF[row + k] = (float) v;
                } else {
                    outD[row + k] = v;
                }
            }
        }
    }

    /** A value of the zero-padded mask: rows -1 and Mh, columns -1 and Mw are the padding. */
    private static double at(double[] mv, int base, int mh, int mw, int r, int c) {
        if (r < 0 || c < 0 || r >= mh || c >= mw) {
            return 0;
        }
        return mv[base + r * mw + c];
    }
}
