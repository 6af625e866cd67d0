package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.List;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.LeafModule;
import org.fx4j.ops.Precision;

/**
 * torchvision's {@code ops.roi_align} and {@code ops.RoIAlign} (He et al., Mask R-CNN): each region
 * is divided into {@code outH x outW} bins, each bin averages a {@code samplingRatio x samplingRatio}
 * grid of bilinearly interpolated samples (an adaptive {@code ceil(roi_size / out_size)} grid per
 * region when {@code samplingRatio <= 0}). Sampling positions, the boundary rule (a sample more than
 * one pixel outside the map counts as zero, one within a pixel is clamped to the edge) and the
 * {@code aligned} half-pixel shift are torchvision's, computed in the feature map's precision.
 *
 * <p>Every output bin is a fixed linear combination of feature-map pixels, so the op is one sparse
 * matrix (bins x pixels, the bilinear weights over the sample count) times the feature map laid out as
 * pixels x channels: differentiable with respect to the features, as torchvision's op is (not with
 * respect to the boxes, also as torchvision).
 */
public final class RoIAlign extends LeafModule {

    /** Weights after which a sparse product is taken (a chunk may pass it by one region's weights). */
    private static final int MAX_ENTRIES = 1 << 23;

    private final int outH;
    private final int outW;
    private final double spatialScale;
    private final int samplingRatio;
    private final boolean aligned;

    /**
     * Creates the module form of {@link #roiAlign}.
     *
     * @param outH output height
     * @param outW output width
     * @param spatialScale the map's size over the image's (1/4 for a stride-4 map)
     * @param samplingRatio samples per bin along each axis; {@code <= 0} for adaptive
     * @param aligned shift the box by half a pixel (torchvision's {@code aligned=True})
     */
    public RoIAlign(int outH, int outW, double spatialScale, int samplingRatio, boolean aligned) {
        checkSize(outH, outW);
        this.outH = outH;
        this.outW = outW;
        this.spatialScale = spatialScale;
        this.samplingRatio = samplingRatio;
        this.aligned = aligned;
    }

    /** Inputs: the feature map [N, C, H, W] and the regions [K, 5]. */
    @Override
    public List<String> inputNames() {
        return List.of("input", "rois");
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        if (inputs.size() != 2) {
            throw new IllegalArgumentException("RoIAlign takes (input [N, C, H, W], rois [K, 5]), got " + inputs.size()
                    + " arrays");
        }
        return new NDList(roiAlign(inputs.get(0), inputs.get(1), outH, outW, spatialScale, samplingRatio, aligned));
    }

    /**
     * {@code roi_align(input, boxes, output_size, spatial_scale, sampling_ratio, aligned)} with boxes
     * given per image, as torchvision accepts a list of {@code Tensor[L, 4]}.
     *
     * @param input the feature map [N, C, H, W]
     * @param boxes one [L_i, 4] array (x1, y1, x2, y2 in image pixels) per image of the batch
     * @param outH output height
     * @param outW output width
     * @param spatialScale the map's size over the image's
     * @param samplingRatio samples per bin along each axis; {@code <= 0} for adaptive
     * @param aligned the half-pixel shift
     * @return [sum L_i, C, outH, outW], regions in order, attached to the input's manager
     */
    public static NDArray roiAlign(NDArray input, List<NDArray> boxes, int outH, int outW, double spatialScale,
            int samplingRatio, boolean aligned) {
        try (NDManager sub = input.getManager().newSubManager()) {
            NDArray rois = BoxOps.toRoiFormat(boxes, sub);
            NDArray out = roiAlign(input, rois, outH, outW, spatialScale, samplingRatio, aligned);
            out.attach(input.getManager());
            return out;
        }
    }

    /**
     * {@code roi_align(input, rois, output_size, spatial_scale, sampling_ratio, aligned)}.
     *
     * @param input the feature map [N, C, H, W], float32 or float64
     * @param rois [K, 5]: batch index, x1, y1, x2, y2 (image pixels), the input's type
     * @param outH output height
     * @param outW output width
     * @param spatialScale the map's size over the image's
     * @param samplingRatio samples per bin along each axis; {@code <= 0} for adaptive
     * @param aligned the half-pixel shift
     * @return [K, C, outH, outW], attached to the input's manager
     * @throws IllegalArgumentException for shapes, types or batch indices that do not fit
     */
    public static NDArray roiAlign(NDArray input, NDArray rois, int outH, int outW, double spatialScale,
            int samplingRatio, boolean aligned) {
        checkSize(outH, outW);
        Shape s = input.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("roi_align expects input of shape [N, C, H, W], got " + s);
        }
        if (rois.getShape().dimension() != 2 || rois.getShape().get(1) != 5) {
            throw new IllegalArgumentException("roi_align expects rois of shape [K, 5] (batch index, x1, y1, x2, y2),"
                    + " got " + rois.getShape());
        }
        DataType type = input.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("roi_align expects float32 or float64 input, got " + type);
        }
        if (rois.getDataType() != type) {
            throw new IllegalArgumentException("roi_align expects rois of the input's type " + type + ", got "
                    + rois.getDataType());
        }
        int n = (int) s.get(0);
        long c = s.get(1);
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        int k = (int) rois.getShape().get(0);
        if (k == 0 || c == 0) {
            return input.getManager().zeros(new Shape(k, c, outH, outW), type, input.getDevice());
        }
        Precision p = Precision.of(type);
        double[] r = Precision.values(rois);
        NDManager parent = input.getManager();
        try (NDManager sub = parent.newSubManager(input.getDevice())) {
            sub.tempAttachAll(input);
            NDArray pixels = input.transpose(0, 2, 3, 1).reshape((long) n * h * w, c);
            // Regions are taken in chunks of about MAX_ENTRIES weights (a chunk ends after the region that
            // reaches it), so that adaptive grids over many large boxes stay bounded in memory.
            NDList parts = new NDList();
            Coo coo = new Coo(Math.min(MAX_ENTRIES, k * outH * outW * 4 * Math.max(samplingRatio, 2)
                    * Math.max(samplingRatio, 2)));
            int chunkStart = 0;
            for (int roi = 0; roi < k; roi++) {
                addRegion(coo, r, roi, roi - chunkStart, n, h, w, outH, outW, spatialScale, samplingRatio, aligned, p);
                if (coo.size >= MAX_ENTRIES || roi == k - 1) {
                    parts.add(product(sub, coo, roi + 1 - chunkStart, outH, outW, (long) n * h * w, pixels, type));
                    coo.size = 0;
                    chunkStart = roi + 1;
                }
            }
            NDArray rows = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
            // Copied into NCHW order (flattening the transposed view copies): a channels-last result would send
            // the heads' convolutions down oneDNN's channels-last path, whose 1x1 kernel choice divides by the
            // cache size and crashes (SIGFPE) where the CPU reports none, as on this project's virtual machine.
            NDArray out = rows.reshape(k, outH, outW, c).transpose(0, 3, 1, 2).reshape(-1).reshape(k, c, outH, outW);
            out.attach(parent);
            return out;
        }
    }

    /** The weights of one region's bins, rows counted from its chunk's first region. */
    private static void addRegion(Coo coo, double[] r, int roi, int rowRoi, int n, int h, int w, int outH, int outW,
            double spatialScale, int samplingRatio, boolean aligned, Precision p) {
        double scale = p.r(spatialScale);
        double offset = aligned ? 0.5 : 0.0;
        double bd = r[roi * 5];
        if (!(bd >= 0 && bd < n && bd == Math.floor(bd))) {
            throw new IllegalArgumentException("roi_align: region " + roi + " has batch index " + bd
                    + "; the input holds " + n + " image(s)");
        }
        long base = (long) bd * h * w;
        double startW = p.r(p.r(r[roi * 5 + 1] * scale) - offset);
        double startH = p.r(p.r(r[roi * 5 + 2] * scale) - offset);
        double endW = p.r(p.r(r[roi * 5 + 3] * scale) - offset);
        double endH = p.r(p.r(r[roi * 5 + 4] * scale) - offset);
        double roiW = p.r(endW - startW);
        double roiH = p.r(endH - startH);
        if (!aligned) {
            roiW = Math.max(roiW, 1.0);
            roiH = Math.max(roiH, 1.0);
        }
        double binH = p.r(roiH / outH);
        double binW = p.r(roiW / outW);
        int gridH = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(p.r(roiH / outH));
        int gridW = samplingRatio > 0 ? samplingRatio : (int) Math.ceil(p.r(roiW / outW));
        double count = Math.max(gridH * gridW, 1);
        for (int ph = 0; ph < outH; ph++) {
            for (int pw = 0; pw < outW; pw++) {
                long row = ((long) rowRoi * outH + ph) * outW + pw;
                for (int iy = 0; iy < gridH; iy++) {
                    double y = p.r(p.r(startH + p.r(ph * binH)) + p.r(p.r((iy + 0.5) * binH) / gridH));
                    for (int ix = 0; ix < gridW; ix++) {
                        double x = p.r(p.r(startW + p.r(pw * binW)) + p.r(p.r((ix + 0.5) * binW) / gridW));
                        addSample(coo, p, row, base, h, w, y, x, count);
                    }
                }
            }
        }
    }

    /** One chunk: the sparse [regions x bins, pixels] matrix times the map as [pixels, channels]. */
    private static NDArray product(NDManager sub, Coo coo, int regions, int outH, int outW, long columns,
            NDArray pixels, DataType type) {
        long rows = (long) regions * outH * outW;
        if (coo.size == 0) {
            return sub.zeros(new Shape(rows, pixels.getShape().get(1)), type, pixels.getDevice());
        }
        // The sparse matrix shares these (the backward pass reads it): owned by libtorch while recording.
        NDArray indices = TorchOwned.forAutograd(sub.create(new long[][] {Arrays.copyOf(coo.rows, coo.size),
            Arrays.copyOf(coo.cols, coo.size)}));
        NDArray values = TorchOwned.forAutograd(Precision.create(sub, coo.vals, coo.size, type));
        NDArray matrix = JniUtils.createSparseCoo((PtNDArray) indices, (PtNDArray) values, new Shape(rows, columns));
        return matrix.matMul(pixels);
    }

    /** torchvision's bilinear_interpolate: weights of the four neighbours of (y, x), or nothing outside. */
    private static void addSample(Coo coo, Precision p, long row, long base, int h, int w, double yIn, double xIn,
            double count) {
        double y = yIn;
        double x = xIn;
        if (y < -1.0 || y > h || x < -1.0 || x > w) {
            return;
        }
        if (y <= 0) {
            y = 0;
        }
        if (x <= 0) {
            x = 0;
        }
        int yLow = (int) y;
        int xLow = (int) x;
        int yHigh;
        int xHigh;
        if (yLow >= h - 1) {
            yHigh = yLow = h - 1;
            y = yLow;
        } else {
            yHigh = yLow + 1;
        }
        if (xLow >= w - 1) {
            xHigh = xLow = w - 1;
            x = xLow;
        } else {
            xHigh = xLow + 1;
        }
        double ly = p.r(y - yLow);
        double lx = p.r(x - xLow);
        double hy = p.r(1.0 - ly);
        double hx = p.r(1.0 - lx);
        coo.add(row, base + (long) yLow * w + xLow, p.r(hy * hx) / count);
        coo.add(row, base + (long) yLow * w + xHigh, p.r(hy * lx) / count);
        coo.add(row, base + (long) yHigh * w + xLow, p.r(ly * hx) / count);
        coo.add(row, base + (long) yHigh * w + xHigh, p.r(ly * lx) / count);
    }

    private static void checkSize(int outH, int outW) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("roi_align needs a positive output size, got " + outH + "x" + outW);
        }
    }

    /** Growable coordinate lists of a sparse matrix; zero weights are skipped. */
    private static final class Coo {
        long[] rows;
        long[] cols;
        double[] vals;
        int size;

        Coo(int capacity) {
            rows = new long[Math.max(capacity, 16)];
            cols = new long[rows.length];
            vals = new double[rows.length];
        }

        void add(long row, long col, double value) {
            if (value == 0) {
                return;
            }
            if (size == rows.length) {
                int grown = Math.min(Integer.MAX_VALUE - 8, rows.length * 2);
                rows = Arrays.copyOf(rows, grown);
                cols = Arrays.copyOf(cols, grown);
                vals = Arrays.copyOf(vals, grown);
            }
            rows[size] = row;
            cols[size] = col;
            vals[size] = value;
            size++;
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "RoIAlign(output_size=(" + outH + ", " + outW + "), spatial_scale=" + spatialScale
                + ", sampling_ratio=" + samplingRatio + ", aligned=" + aligned + ")";
    }
}
