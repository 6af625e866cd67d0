package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.List;
import java.util.function.IntFunction;
import org.fx4j.models.TorchvisionInit;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;

/**
 * torchvision's {@code MaskRCNNHeads}: a sequence ({@code 0}, {@code 1}, ...) of 3x3 convolutions with
 * ReLU ({@code Conv2dNormActivation}, padding = dilation), kaiming-normal (fan-out) weights, zero bias.
 */
public final class MaskRCNNHeads extends Module {

    /**
     * Creates the heads.
     *
     * @param inChannels input channels
     * @param layers the channels of each convolution ({@code (256, 256, 256, 256)})
     * @param dilation the convolutions' dilation (1)
     * @param normLayer a normalisation after each convolution, or null
     */
    public MaskRCNNHeads(int inChannels, List<Integer> layers, int dilation, IntFunction<Block> normLayer) {
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("MaskRCNNHeads needs at least one layer");
        }
        int next = inChannels;
        for (int i = 0; i < layers.size(); i++) {
            register(Integer.toString(i), new Conv2dNormActivation(next, layers.get(i), 3, 1, dilation, dilation, 1,
                    normLayer, ReLU::new, normLayer == null));
            next = layers.get(i);
        }
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), true);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return callChildrenInOrder(ctx, x);
    }
}
