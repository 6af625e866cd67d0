package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Module;

/**
 * torchvision's ConvNeXt {@code LayerNorm2d}: layer norm over the channels of an NCHW array
 * (permute to NHWC, {@code F.layer_norm}, permute back). Not a leaf: it is traced through, giving
 * torchvision's {@code permute}, {@code weight}, {@code bias}, {@code layer_norm}, {@code permute_1}
 * nodes.
 */
public final class LayerNorm2d extends Module {

    private final int channels;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates the layer.
     *
     * @param channels the channel count
     * @param eps the value added to the variance (a double, as PyTorch's: a float 1e-6f would be
     *     off by 3e-8 relatively, visible in float64)
     */
    public LayerNorm2d(int channels, double eps) {
        this.channels = channels;
        this.eps = eps;
        weight = registerParameter("weight", new Shape(channels), Init.constant(1f));
        bias = registerParameter("bias", new Shape(channels), Init.constant(0f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray nhwc = F.permute(x, 0, 2, 3, 1);
        NDArray w = ctx.value(weight, x.getDevice());
        NDArray b = ctx.value(bias, x.getDevice());
        NDArray normed = F.layerNorm(nhwc, channels, w, b, eps);
        return F.permute(normed, 0, 3, 1, 2);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LayerNorm2d((" + channels + ",), eps=" + eps + ")";
    }
}
