package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.GELU;
import org.fx4j.nn.Init;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.Permute;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.StochasticDepth;

/**
 * torchvision's ConvNeXt {@code CNBlock}: a 7x7 depthwise convolution, layer norm and an inverted
 * MLP (4x, GELU) in {@code block}, scaled per channel by {@code layer_scale}, through {@code
 * stochastic_depth}, plus the input.
 */
public final class CNBlock extends Module {

    private final Sequential block;
    private final Parameter layerScale;
    private final StochasticDepth stochasticDepth;

    /**
     * Creates the block.
     *
     * @param dim the channel count
     * @param layerScale the initial value of {@code layer_scale}
     * @param stochasticDepthProb the drop probability of the residual branch
     */
    CNBlock(int dim, float layerScale, float stochasticDepthProb) {
        block = register("block", new Sequential(
                Conv2d.builder().setInChannels(dim).setOutChannels(dim).setKernelSize(7).optPadding(3).optGroups(dim)
                        .build(),
                new Permute(0, 2, 3, 1),
                new LayerNorm(dim, 1e-6),
                new Linear(dim, 4 * dim),
                new GELU(),
                new Linear(4 * dim, dim),
                new Permute(0, 3, 1, 2)));
        this.layerScale = registerParameter("layer_scale", new Shape(dim, 1, 1), Init.constant(layerScale));
        stochasticDepth = register("stochastic_depth", new StochasticDepth(stochasticDepthProb, "row"));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray scale = ctx.value(layerScale, x.getDevice());
        NDArray result = F.mul(scale, block.call(ctx, x));
        result = stochasticDepth.call(ctx, result);
        return F.add(result, x);
    }
}
