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
 * torchvision's {@code BasicBlock} (ResNet-18/34): two 3x3 convolutions and a shortcut, with the
 * children {@code conv1, bn1, relu, conv2, bn2[, downsample]}.
 */
public final class BasicBlock extends ResidualBlock {

    /** The channel expansion of this block type. */
    public static final int EXPANSION = 1;

    static final Factory FACTORY = new Factory(EXPANSION, BasicBlock::new);

    private final Module conv1;
    private final Block bn1;
    private final Module relu;
    private final Module conv2;
    private final Block bn2;
    private final Block downsample;

    BasicBlock(
            int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth, int dilation,
            IntFunction<Block> norm) {
        if (groups != 1 || baseWidth != 64) {
            throw new IllegalArgumentException("BasicBlock only supports groups=1 and base_width=64");
        }
        if (dilation > 1) {
            throw new IllegalArgumentException("Dilation > 1 not supported in BasicBlock");
        }
        conv1 = register("conv1", conv3x3(inplanes, planes, stride, 1, 1));
        bn1 = register("bn1", norm.apply(planes));
        relu = register("relu", new ReLU());
        conv2 = register("conv2", conv3x3(planes, planes, 1, 1, 1));
        bn2 = register("bn2", norm.apply(planes));
        this.downsample = downsample == null ? null : register("downsample", downsample);
    }

    @Override
    void zeroInitLastNorm() {
        bn2.getParameters().get("weight").setInitializer(Init.constant(0f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray out = conv1.call(ctx, x);
        out = ctx.call(bn1, out);
        out = relu.call(ctx, out);
        out = conv2.call(ctx, out);
        out = ctx.call(bn2, out);
        NDArray identity = downsample == null ? x : ctx.call(downsample, x);
        out = F.add(out, identity);
        return relu.call(ctx, out);
    }
}
