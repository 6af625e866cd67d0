package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.Supplier;

/**
 * torchvision's {@code ops.SqueezeExcitation}: {@code x * scale(fc2(act(fc1(avgpool(x)))))} with
 * children {@code avgpool, fc1, fc2, activation, scale_activation}. A torchvision op, hence a leaf.
 */
public final class SqueezeExcitation extends LeafModule {

    private final Block avgpool;
    private final Block fc1;
    private final Block fc2;
    private final Block activation;
    private final Block scaleActivation;

    /**
     * Creates the block.
     *
     * @param inputChannels channels of the input
     * @param squeezeChannels channels of the bottleneck
     * @param activation the bottleneck activation (ReLU in torchvision)
     * @param scaleActivation the gate (Sigmoid in torchvision, Hardsigmoid in MobileNetV3)
     */
    public SqueezeExcitation(int inputChannels, int squeezeChannels, Supplier<Block> activation,
            Supplier<Block> scaleActivation) {
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        fc1 = register("fc1", Conv2d.builder().setInChannels(inputChannels).setOutChannels(squeezeChannels)
                .setKernelSize(1).build());
        fc2 = register("fc2", Conv2d.builder().setInChannels(squeezeChannels).setOutChannels(inputChannels)
                .setKernelSize(1).build());
        this.activation = register("activation", activation.get());
        this.scaleActivation = register("scale_activation", scaleActivation.get());
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        try (NDArray pooled = ctx.call(avgpool, x);
                NDArray squeezed = ctx.call(fc1, pooled);
                NDArray activated = ctx.call(activation, squeezed);
                NDArray expanded = ctx.call(fc2, activated);
                NDArray scale = ctx.call(scaleActivation, expanded)) {
            return x.mul(scale);
        }
    }
}
