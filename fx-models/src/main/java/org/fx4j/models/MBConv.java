package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.SiLU;
import org.fx4j.nn.Sigmoid;
import org.fx4j.nn.SqueezeExcitation;
import org.fx4j.nn.StochasticDepth;

/**
 * torchvision's EfficientNet {@code MBConv}: an optional 1x1 expansion, a depthwise convolution,
 * squeeze-excitation (SiLU, sigmoid gate) and a 1x1 projection in {@code block}; with a shortcut
 * through {@code stochastic_depth} when the stride is 1 and the channel count is kept.
 */
public final class MBConv extends Module {

    private final Sequential block;
    private final StochasticDepth stochasticDepth;
    private final boolean useResConnect;

    /**
     * Creates the block.
     *
     * @param in input channels
     * @param out output channels
     * @param expanded channels after the expansion (equal to {@code in} for none)
     * @param kernel depthwise kernel size
     * @param stride depthwise stride (1 or 2)
     * @param stochasticDepthProb the drop probability of the residual branch
     * @param norm the normalisation factory
     */
    MBConv(int in, int out, int expanded, int kernel, int stride, float stochasticDepthProb, IntFunction<Block> norm) {
        if (stride < 1 || stride > 2) {
            throw new IllegalArgumentException("illegal stride value " + stride + " (1 or 2)");
        }
        useResConnect = stride == 1 && in == out;
        Sequential layers = new Sequential();
        if (expanded != in) {
            layers.add(new Conv2dNormActivation(in, expanded, 1, 1, 1, norm, SiLU::new));
        }
        layers.add(new Conv2dNormActivation(expanded, expanded, kernel, stride, expanded, norm, SiLU::new));
        layers.add(new SqueezeExcitation(expanded, Math.max(1, in / 4), SiLU::new, Sigmoid::new));
        layers.add(new Conv2dNormActivation(expanded, out, 1, 1, 1, norm, null));
        block = register("block", layers);
        stochasticDepth = register("stochastic_depth", new StochasticDepth(stochasticDepthProb, "row"));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray result = block.call(ctx, x);
        if (useResConnect) {
            result = stochasticDepth.call(ctx, result);
            result = F.add(result, x);
        }
        return result;
    }
}
