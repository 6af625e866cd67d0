package org.fx4j.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;

/**
 * torchvision's {@code LastLevelP6P7(in_channels, out_channels)}, RetinaNet's extra levels: {@code p6 =
 * conv3x3/2(x)}, {@code p7 = conv3x3/2(relu(p6))}, where {@code x} is P5 when {@code in_channels ==
 * out_channels} and C5 (the last input) otherwise, as torchvision decides. Convolutions are
 * initialised kaiming-uniform (a=1) with zero bias.
 */
public final class LastLevelP6P7 extends ExtraFPNBlock {

    private final Conv2d p6;
    private final Conv2d p7;
    private final boolean useP5;

    /**
     * Creates the block.
     *
     * @param inChannels channels of its input (P5's or C5's)
     * @param outChannels channels of P6 and P7
     */
    public LastLevelP6P7(int inChannels, int outChannels) {
        p6 = register("p6", conv(inChannels, outChannels));
        p7 = register("p7", conv(outChannels, outChannels));
        useP5 = inChannels == outChannels;
    }

    private static Conv2d conv(int in, int out) {
        Conv2d c = Conv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(3).optStride(2).optPadding(1)
                .build();
        c.getWeight().setInitializer(Init.kaimingUniform(1));
        c.getDirectParameters().get("bias").setInitializer(Init.constant(0f));
        return c;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> addedNames() {
        return List.of("p6", "p7");
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList resultsThenInputs) {
        int n = resultsThenInputs.size() / 2;
        NDArray x = useP5 ? resultsThenInputs.get(n - 1) : resultsThenInputs.get(2 * n - 1);
        NDArray l6 = p6.call(ctx, x);
        NDArray l7 = p7.call(ctx, F.relu(l6));
        l6.setName("p6");
        l7.setName("p7");
        return new NDList(l6, l7);
    }
}
