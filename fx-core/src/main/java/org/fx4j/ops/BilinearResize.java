package org.fx4j.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * {@code F.interpolate(x, size, mode="bilinear", align_corners=False)} without antialiasing (DJL's
 * engine antialiases when shrinking; torchvision's detection transform does not): each output pixel
 * reads source position {@code (dst + 0.5) * in / out - 0.5}, clamped at 0, from its two neighbours
 * per axis, with PyTorch's index and weight rules in the array's precision. Differentiable.
 */
public final class BilinearResize {

    private BilinearResize() {}

    /**
     * Resizes the last two axes.
     *
     * @param x an array of at least 2 dimensions [..., H, W], float32 or float64
     * @param outH output height
     * @param outW output width
     * @return [..., outH, outW], in x's manager
     */
    public static NDArray resize(NDArray x, int outH, int outW) {
        Shape s = x.getShape();
        if (s.dimension() < 2 || outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("bilinear resize needs [..., H, W] input and a positive size, got "
                    + s + " to " + outH + "x" + outW);
        }
        int d = s.dimension();
        int h = (int) s.get(d - 2);
        int w = (int) s.get(d - 1);
        if (h == outH && w == outW) {
            return x.duplicate();
        }
        Precision p = Precision.of(x);
        NDManager parent = x.getManager();
        try (NDManager sub = parent.newSubManager(x.getDevice())) {
            sub.tempAttachAll(x);
            Taps tw = taps(w, outW, p);
            Taps th = taps(h, outH, p);
            String lead = ":, ".repeat(d - 2);
            NDArray x0 = x.get(new NDIndex(lead + ":, {}", sub.create(tw.i0)));
            NDArray x1 = x.get(new NDIndex(lead + ":, {}", sub.create(tw.i1)));
            NDArray t = x0.mul(weights(sub, tw.l0, x.getDataType())).add(x1.mul(weights(sub, tw.l1, x.getDataType())));
            NDArray y0 = t.get(new NDIndex(lead + "{}, :", sub.create(th.i0)));
            NDArray y1 = t.get(new NDIndex(lead + "{}, :", sub.create(th.i1)));
            NDArray ch0 = weights(sub, th.l0, x.getDataType()).reshape(outH, 1);
            NDArray ch1 = weights(sub, th.l1, x.getDataType()).reshape(outH, 1);
            NDArray out = y0.mul(ch0).add(y1.mul(ch1));
            out.attach(parent);
            return out;
        }
    }

    /** Source indices and weights per output position along one axis. */
    public static final class Taps {
        /** First source index per output position. */
        public final long[] i0;
        /** Second source index per output position. */
        public final long[] i1;
        /** Weight of the first source per output position. */
        public final double[] l0;
        /** Weight of the second source per output position. */
        public final double[] l1;

        Taps(int n) {
            i0 = new long[n];
            i1 = new long[n];
            l0 = new double[n];
            l1 = new double[n];
        }
    }

    /**
     * PyTorch's {@code area_pixel_compute_source_index} with {@code align_corners=False} and the
     * scale {@code in / out}.
     *
     * @param in source length
     * @param out output length
     * @param p the arithmetic's precision
     * @return the taps
     */
    public static Taps taps(int in, int out, Precision p) {
        Taps t = new Taps(out);
        double scale = p.r((double) in / out);
        for (int o = 0; o < out; o++) {
            // torch 1.13 rounds the scale to the array's type but forms the position in double.
            double src = scale * (o + 0.5) - 0.5;
            if (src < 0) {
                src = 0;
            }
            int i0 = (int) src;
            int i1 = i0 + (i0 < in - 1 ? 1 : 0);
            double l1 = p.r(src - i0);
            t.i0[o] = i0;
            t.i1[o] = i1;
            t.l1[o] = l1;
            t.l0[o] = p.r(1.0 - l1);
        }
        return t;
    }

    private static NDArray weights(NDManager m, double[] v, DataType type) {
        return Precision.create(m, v, v.length, type);
    }
}
