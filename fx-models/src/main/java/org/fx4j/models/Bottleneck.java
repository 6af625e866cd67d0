package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;

/**
 * torchvision's {@code Bottleneck} (ResNet-50 and deeper, ResNeXt, Wide ResNet): 1x1, 3x3 (strided,
 * grouped) and 1x1 convolutions with expansion 4, children {@code conv1, bn1, conv2, bn2, conv3,
 * bn3, relu[, downsample]}.
 */
public final class Bottleneck extends ResidualBlock {

    /** The channel expansion of this block type. */
    public static final int EXPANSION = 4;

    static final Factory FACTORY = new Factory(EXPANSION, Bottleneck::new);

    private final Module conv1;
    private final Block bn1;
    private final Module conv2;
    private final Block bn2;
    private final Module conv3;
    private final Block bn3;
    private final Module relu;
    private final Block downsample;

    Bottleneck(
            int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth, int dilation,
            IntFunction<Block> norm) {
        int width = (int) (planes * (baseWidth / 64.0)) * groups;
        conv1 = register("conv1", conv1x1(inplanes, width, 1));
        bn1 = register("bn1", norm.apply(width));
        conv2 = register("conv2", conv3x3(width, width, stride, groups, dilation));
        bn2 = register("bn2", norm.apply(width));
        conv3 = register("conv3", conv1x1(width, planes * EXPANSION, 1));
        bn3 = register("bn3", norm.apply(planes * EXPANSION));
        relu = register("relu", new ReLU());
        this.downsample = downsample == null ? null : register("downsample", downsample);
    }

    @Override
    void zeroInitLastNorm() {
        bn3.getParameters().get("weight").setInitializer(Init.constant(0f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray out = conv1.call(ctx, x);
        out = ctx.call(bn1, out);
        out = relu.call(ctx, out);
        out = conv2.call(ctx, out);
        out = ctx.call(bn2, out);
        out = relu.call(ctx, out);
        out = conv3.call(ctx, out);
        out = ctx.call(bn3, out);
        NDArray identity = downsample == null ? x : ctx.call(downsample, x);
        out = F.add(out, identity);
        return relu.call(ctx, out);
    }
}
