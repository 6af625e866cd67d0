package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * {@code torch.nn.ConvTranspose2d} (square kernel, stride, padding, output padding, groups), with
 * {@code weight [in, out/groups, k, k]} and optional {@code bias [out]}: DJL's PyTorch engine has no
 * working deconvolution, so it is built from primitives, differentiable. Where the stride equals the
 * kernel and there is no padding (Mask R-CNN's {@code conv5_mask}, 2x2 stride 2), the windows do not
 * overlap and the layer is one matrix product; otherwise the input is zero-interleaved, padded and
 * convolved with the flipped kernel. Output size: {@code (H-1)*stride - 2*padding + kernel +
 * outputPadding}, as PyTorch's.
 */
public final class ConvTranspose2d extends LeafModule {

    private final int inChannels;
    private final int outChannels;
    private final int kernel;
    private final int stride;
    private final int padding;
    private final int outputPadding;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates {@code ConvTranspose2d(in, out, kernel, stride, padding)} with a bias.
     *
     * @param inChannels input channels
     * @param outChannels output channels
     * @param kernel square kernel size
     * @param stride stride
     * @param padding padding removed from each side of the full output
     */
    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding) {
        this(inChannels, outChannels, kernel, stride, padding, 0, 1, true);
    }

    /**
     * Creates the layer.
     *
     * @param inChannels input channels
     * @param outChannels output channels
     * @param kernel square kernel size
     * @param stride stride
     * @param padding padding removed from each side of the full output
     * @param outputPadding rows and columns added at the bottom and right (less than the stride)
     * @param groups channel groups
     * @param withBias whether a bias is learned
     */
    public ConvTranspose2d(int inChannels, int outChannels, int kernel, int stride, int padding, int outputPadding,
            int groups, boolean withBias) {
        if (inChannels <= 0 || outChannels <= 0 || kernel <= 0 || stride <= 0 || padding < 0 || groups <= 0) {
            throw new IllegalArgumentException("ConvTranspose2d needs positive channels, kernel, stride and groups and"
                    + " padding >= 0; got in=" + inChannels + ", out=" + outChannels + ", kernel=" + kernel + ", stride="
                    + stride + ", padding=" + padding + ", groups=" + groups);
        }
        if (outputPadding < 0 || outputPadding >= stride) {
            // PyTorch: "output padding must be smaller than either stride or dilation"
            throw new IllegalArgumentException("ConvTranspose2d output padding must be in [0, stride), got "
                    + outputPadding + " with stride " + stride);
        }
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("ConvTranspose2d channels must be divisible by groups: in="
                    + inChannels + ", out=" + outChannels + ", groups=" + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.groups = groups;
        Shape w = new Shape(inChannels, outChannels / groups, kernel, kernel);
        // PyTorch's fan-in of a transposed convolution's weight is size(1) * k * k.
        weight = registerParameter("weight", w, Init.kaimingUniform(Math.sqrt(5)));
        bias = withBias ? registerParameter("bias", new Shape(outChannels), Init.uniformBias(Init.fanIn(w))) : null;
    }

    /**
     * Returns the weight parameter.
     *
     * @return {@code weight [in, out/groups, k, k]}
     */
    public Parameter getWeight() {
        return weight;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != inChannels) {
            throw new IllegalArgumentException("ConvTranspose2d(" + inChannels + ", " + outChannels
                    + ") expects input of shape [N, " + inChannels + ", H, W], got " + s);
        }
        NDArray w = ctx.value(weight, x.getDevice());
        NDArray b = bias == null ? null : ctx.value(bias, x.getDevice());
        if (stride == kernel && padding == 0 && outputPadding == 0 && groups == 1) {
            return nonOverlapping(x, w, b);
        }
        return general(x, w, b);
    }

    /**
     * out[n, o, k*i + a, k*j + b] = sum_c x[n, c, i, j] * w[c, o, a, b] + bias[o]: one 1x1 convolution
     * to out*k*k channels (bias included, input read in place), then one copy that interleaves the k x k
     * blocks (a "pixel shuffle").
     */
    private NDArray nonOverlapping(NDArray x, NDArray w, NDArray b) {
        long n = x.getShape().get(0);
        long h = x.getShape().get(2);
        long wd = x.getShape().get(3);
        long kk = (long) kernel * kernel;
        NDArray y;
        // Arrays made from the parameters live in the parameters' manager: close them here, or every call leaks them.
        try (NDArray w4 = w.reshape(inChannels, outChannels * kk);
                NDArray wt = w4.transpose(1, 0);
                NDArray w1 = wt.reshape(outChannels * kk, inChannels, 1, 1);
                NDArray b2 = b == null ? null : b.reshape(outChannels, 1);
                NDArray bRepeated = b2 == null ? null : b2.repeat(1, kk);
                NDArray b1 = bRepeated == null ? null : bRepeated.reshape(outChannels * kk)) {
            y = x.getNDArrayInternal().convolution(x, w1, b1, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1)
                    .singletonOrThrow();
        }
        // [n, o, a, b, i, j] -> [n, o, i, a, j, b]; the last reshape copies, so the convolution's output is freed
        try (NDArray blocks = y.reshape(n, outChannels, kernel, kernel, h, wd);
                NDArray interleaved = blocks.transpose(0, 1, 4, 2, 5, 3)) {
            return interleaved.reshape(n, outChannels, h * kernel, wd * kernel);
        } finally {
            y.close();
        }
    }

    /** Zero-interleave by the stride, pad by kernel-1-padding (plus output padding), convolve with the flipped kernel. */
    private NDArray general(NDArray x, NDArray w, NDArray b) {
        long n = x.getShape().get(0);
        long h = x.getShape().get(2);
        long wd = x.getShape().get(3);
        NDArray z = x;
        if (stride > 1) {
            // [N, C, H, 1, W, 1] padded with zeros to [N, C, H, s, W, s], then the trailing s-1 zeros dropped.
            NDArray e = x.reshape(n, inChannels, h, 1, wd, 1);
            e = NDArrays.concat(new NDList(e, e.zerosLike().repeat(3, stride - 1)), 3);
            e = NDArrays.concat(new NDList(e, e.zerosLike().repeat(5, stride - 1)), 5);
            z = e.reshape(n, inChannels, h * stride, wd * stride)
                    .get(new NDIndex(":, :, 0:{}, 0:{}", (h - 1) * stride + 1, (wd - 1) * stride + 1));
        }
        int q = kernel - 1 - padding;
        int lead = Math.max(q, 0);
        z = padZeros(z, lead, lead + outputPadding);
        // weight [in, out/g, k, k] -> [out, in/g, k, k], flipped spatially
        int inG = inChannels / groups;
        int outG = outChannels / groups;
        NDArray y;
        try (NDArray w5 = w.reshape(groups, inG, outG, kernel, kernel);
                NDArray wt = w5.transpose(0, 2, 1, 3, 4);
                NDArray w4 = wt.reshape(outChannels, inG, kernel, kernel);
                NDArray wc = w4.flip(2, 3)) {
            y = z.getNDArrayInternal().convolution(z, wc, b, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1),
                    groups).singletonOrThrow();
        }
        if (q < 0) {
            long oh = y.getShape().get(2);
            long ow = y.getShape().get(3);
            y = y.get(new NDIndex(":, :, {}:{}, {}:{}", -q, oh + q, -q, ow + q));
        }
        return y;
    }

    private static NDArray padZeros(NDArray z, int before, int after) {
        if (before == 0 && after == 0) {
            return z;
        }
        NDArray out = z;
        for (int axis = 2; axis <= 3; axis++) {
            // Shape.getShape() is the shape's own array (and the input's shape is the caller's): copy it.
            long[] shape = out.getShape().getShape().clone();
            NDList parts = new NDList();
            if (before > 0) {
                shape[axis] = before;
                parts.add(out.getManager().zeros(new Shape(shape), out.getDataType(), out.getDevice()));
            }
            parts.add(out);
            if (after > 0) {
                long[] shapeAfter = out.getShape().getShape().clone();
                shapeAfter[axis] = after;
                parts.add(out.getManager().zeros(new Shape(shapeAfter), out.getDataType(), out.getDevice()));
            }
            out = NDArrays.concat(parts, axis);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ConvTranspose2d(" + inChannels + ", " + outChannels + ", kernel_size=(" + kernel + ", " + kernel
                + "), stride=(" + stride + ", " + stride + ")" + (padding > 0 ? ", padding=(" + padding + ", "
                + padding + ")" : "") + (outputPadding > 0 ? ", output_padding=(" + outputPadding + ", "
                + outputPadding + ")" : "") + (groups > 1 ? ", groups=" + groups : "") + (bias == null ? ", bias=False"
                : "") + ")";
    }
}
