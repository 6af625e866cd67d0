package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/** {@code torch.nn.MaxPool2d(kernel_size, stride, padding, ceil_mode)} over NCHW input. */
public final class MaxPool2d extends LeafModule {

    private final int kernel;
    private final int stride;
    private final int padding;
    private final boolean ceilMode;

    /**
     * Creates {@code MaxPool2d(kernel, stride, padding)}.
     *
     * @param kernel the window size
     * @param stride the stride
     * @param padding the implicit negative-infinity padding
     */
    public MaxPool2d(int kernel, int stride, int padding) {
        this(kernel, stride, padding, false);
    }

    /**
     * Creates {@code MaxPool2d(kernel, stride, padding, ceil_mode)}.
     *
     * @param kernel the window size
     * @param stride the stride
     * @param padding the implicit negative-infinity padding
     * @param ceilMode whether output sizes round up
     */
    public MaxPool2d(int kernel, int stride, int padding, boolean ceilMode) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || padding * 2 > kernel) {
            throw new IllegalArgumentException(
                    "MaxPool2d needs kernel > 0, stride > 0 and 0 <= padding <= kernel/2; got kernel=" + kernel
                            + ", stride=" + stride + ", padding=" + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.ceilMode = ceilMode;
    }

    /**
     * Returns the window size.
     *
     * @return kernel size (square)
     */
    public int getKernel() {
        return kernel;
    }

    /**
     * Returns the stride.
     *
     * @return stride (both dimensions)
     */
    public int getStride() {
        return stride;
    }

    /**
     * Returns the implicit negative-infinity padding.
     *
     * @return padding (both dimensions)
     */
    public int getPadding() {
        return padding;
    }

    /**
     * Returns whether output sizes round up.
     *
     * @return ceil_mode
     */
    public boolean isCeilMode() {
        return ceilMode;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("MaxPool2d expects NCHW input, got shape " + x.getShape());
        }
        return JniUtils.maxPool(
                PtArrays.pt(x, "MaxPool2d"),
                new Shape(kernel, kernel),
                new Shape(stride, stride),
                new Shape(padding, padding),
                ceilMode);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MaxPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
