package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * torchvision's {@code ops.Conv2dNormActivation}: a convolution ({@code 0}, padding {@code (k - 1) / 2},
 * no bias when normalised), a normalisation ({@code 1}) and an activation ({@code 2}). Like every
 * torchvision op it is a leaf for feature extraction: one node, as torchvision's tracer records it.
 */
public final class Conv2dNormActivation extends LeafModule {

    /**
     * Creates the block.
     *
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param groups groups
     * @param norm normalisation factory (channels to block), or null for none
     * @param activation activation factory, or null for none
     */
    public Conv2dNormActivation(int in, int out, int kernel, int stride, int groups, IntFunction<Block> norm,
            Supplier<Block> activation) {
        this(in, out, kernel, stride, 1, groups, norm, activation);
    }

    /**
     * Creates the block with a dilated convolution (padding {@code (k - 1) / 2 * dilation}).
     *
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param dilation dilation
     * @param groups groups
     * @param norm normalisation factory (channels to block), or null for none
     * @param activation activation factory, or null for none
     */
    public Conv2dNormActivation(int in, int out, int kernel, int stride, int dilation, int groups,
            IntFunction<Block> norm, Supplier<Block> activation) {
        this(in, out, kernel, stride, (kernel - 1) / 2 * dilation, dilation, groups, norm, activation, norm == null);
    }

    /**
     * Creates the block with every argument explicit (torchvision's {@code padding} and {@code bias}).
     *
     * @param in input channels
     * @param out output channels
     * @param kernel kernel size
     * @param stride stride
     * @param padding padding
     * @param dilation dilation
     * @param groups groups
     * @param norm normalisation factory (channels to block), or null for none
     * @param activation activation factory, or null for none
     * @param bias whether the convolution has a bias
     */
    public Conv2dNormActivation(int in, int out, int kernel, int stride, int padding, int dilation, int groups,
            IntFunction<Block> norm, Supplier<Block> activation, boolean bias) {
        register("0", Conv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(kernel).optStride(stride)
                .optPadding(padding).optDilation(dilation).optGroups(groups).optBias(bias).build());
        if (norm != null) {
            register("1", norm.apply(out));
        }
        if (activation != null) {
            register(norm != null ? "2" : "1", activation.get());
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return callChildrenInOrder(ctx, x);
    }
}
