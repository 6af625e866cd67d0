package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU6;
import org.fx4j.nn.Sequential;

/**
 * torchvision's MobileNetV2 {@code InvertedResidual}: an optional 1x1 expansion, a 3x3 depthwise
 * convolution and a 1x1 projection in {@code conv}, with a shortcut when stride is 1 and the channel
 * count is kept.
 */
public final class InvertedResidual extends Module {

    private final Sequential conv;
    private final boolean useResConnect;

    InvertedResidual(int inp, int oup, int stride, int expandRatio, IntFunction<Block> norm) {
        if (stride != 1 && stride != 2) {
            throw new IllegalArgumentException("stride should be 1 or 2 instead of " + stride);
        }
        int hidden = (int) Math.round(inp * (double) expandRatio);
        useResConnect = stride == 1 && inp == oup;
        Sequential layers = new Sequential();
        if (expandRatio != 1) {
            layers.add(new Conv2dNormActivation(inp, hidden, 1, 1, 1, norm, ReLU6::new));
        }
        layers.add(new Conv2dNormActivation(hidden, hidden, 3, stride, hidden, norm, ReLU6::new));
        layers.add(Conv2d.builder().setInChannels(hidden).setOutChannels(oup).setKernelSize(1).optBias(false).build());
        layers.add(norm.apply(oup));
        conv = register("conv", layers);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray out = conv.call(ctx, x);
        return useResConnect ? F.add(x, out) : out;
    }
}
