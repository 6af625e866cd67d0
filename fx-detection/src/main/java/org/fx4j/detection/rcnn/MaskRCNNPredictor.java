package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.ConvTranspose2d;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;

/**
 * torchvision's {@code MaskRCNNPredictor}: {@code conv5_mask} (a 2x2 stride-2 transposed convolution
 * doubling the resolution), {@code relu}, {@code mask_fcn_logits} (1x1, one logit map per class);
 * weights kaiming-normal (fan-out), biases PyTorch's defaults, as torchvision.
 */
public final class MaskRCNNPredictor extends Module {

    /**
     * Creates the predictor.
     *
     * @param inChannels input channels (256)
     * @param dimReduced the transposed convolution's channels (256)
     * @param numClasses classes including the background
     */
    public MaskRCNNPredictor(int inChannels, int dimReduced, int numClasses) {
        ConvTranspose2d up = register("conv5_mask", new ConvTranspose2d(inChannels, dimReduced, 2, 2, 0));
        register("relu", new ReLU());
        Conv2d logits = register("mask_fcn_logits", Conv2d.builder().setInChannels(dimReduced)
                .setOutChannels(numClasses).setKernelSize(1).build());
        up.getWeight().setInitializer(Init.kaimingNormalFanOut());
        logits.getWeight().setInitializer(Init.kaimingNormalFanOut());
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return callChildrenInOrder(ctx, x);
    }
}
