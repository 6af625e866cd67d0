package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/** {@code torch.nn.AdaptiveAvgPool2d((h, w))}: average pooling to a fixed output size. */
public final class AdaptiveAvgPool2d extends LeafModule {

    private final Shape outputSize;

    /**
     * Creates {@code AdaptiveAvgPool2d((h, w))}.
     *
     * @param height output height
     * @param width output width
     */
    public AdaptiveAvgPool2d(int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException(
                    "AdaptiveAvgPool2d needs a positive output size, got (" + height + ", " + width + ")");
        }
        this.outputSize = new Shape(height, width);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        if (x.getShape().dimension() != 4) {
            throw new IllegalArgumentException("AdaptiveAvgPool2d expects NCHW input, got shape " + x.getShape());
        }
        return JniUtils.adaptiveAvgPool(PtArrays.pt(x, "AdaptiveAvgPool2d"), outputSize);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "AdaptiveAvgPool2d(output_size=" + outputSize + ")";
    }
}
