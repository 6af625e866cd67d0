package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** {@code torch.nn.AvgPool2d(kernel_size, stride, padding)} with {@code count_include_pad=True}. */
public final class AvgPool2d extends LeafModule {

    private final int kernel;
    private final int stride;
    private final int padding;

    /**
     * Creates {@code AvgPool2d(kernel, stride, padding)}.
     *
     * @param kernel the window size
     * @param stride the stride
     * @param padding the implicit zero padding
     */
    public AvgPool2d(int kernel, int stride, int padding) {
        if (kernel <= 0 || stride <= 0 || padding < 0 || padding * 2 > kernel) {
            throw new IllegalArgumentException(
                    "AvgPool2d needs kernel > 0, stride > 0 and 0 <= padding <= kernel/2; got kernel=" + kernel
                            + ", stride=" + stride + ", padding=" + padding);
        }
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("AvgPool2d expects NCHW input, got shape " + x.getShape());
        }
        return x.getNDArrayInternal().avgPool(
                new Shape(kernel, kernel), new Shape(stride, stride), new Shape(padding, padding), false, true);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "AvgPool2d(kernel_size=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
