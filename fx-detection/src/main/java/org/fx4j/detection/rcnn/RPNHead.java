package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;
import org.fx4j.models.TorchvisionInit;

/**
 * torchvision's {@code RPNHead}: per feature map, {@code conv} (3x3 convolutions with ReLU, {@code
 * conv.0.0}), then {@code cls_logits} (one objectness logit per anchor) and {@code bbox_pred} (four
 * deltas per anchor), 1x1. Convolutions start as N(0, 0.01) with zero bias, as torchvision's.
 */
public final class RPNHead extends Module {

    private final Sequential conv;
    private final Conv2d clsLogits;
    private final Conv2d bboxPred;
    private final int numAnchors;

    /**
     * Creates the head with one convolution.
     *
     * @param inChannels the feature maps' channels
     * @param numAnchors anchors per location
     */
    public RPNHead(int inChannels, int numAnchors) {
        this(inChannels, numAnchors, 1);
    }

    /**
     * Creates the head.
     *
     * @param inChannels the feature maps' channels
     * @param numAnchors anchors per location
     * @param convDepth the number of 3x3 convolutions
     */
    public RPNHead(int inChannels, int numAnchors, int convDepth) {
        if (inChannels <= 0 || numAnchors <= 0 || convDepth < 1) {
            throw new IllegalArgumentException("RPNHead needs positive channels, anchors and depth, got in="
                    + inChannels + ", anchors=" + numAnchors + ", depth=" + convDepth);
        }
        List<Block> convs = new ArrayList<>();
        for (int i = 0; i < convDepth; i++) {
            convs.add(new Conv2dNormActivation(inChannels, inChannels, 3, 1, 1, null, ReLU::new));
        }
        conv = register("conv", new Sequential(convs));
        clsLogits = register("cls_logits", Conv2d.builder().setInChannels(inChannels).setOutChannels(numAnchors)
                .setKernelSize(1).build());
        bboxPred = register("bbox_pred", Conv2d.builder().setInChannels(inChannels).setOutChannels(numAnchors * 4)
                .setKernelSize(1).build());
        TorchvisionInit.convolutions(this, Init.normal(0.01f), true);
        this.numAnchors = numAnchors;
    }

    /**
     * Returns the anchors per location this head predicts for.
     *
     * @return A
     */
    public int numAnchors() {
        return numAnchors;
    }

    /**
     * Runs the head: for each input map, its objectness [N, A, H, W], then its deltas [N, 4A, H, W]
     * (all objectness maps first, then all delta maps).
     *
     * @param ctx the context
     * @param features the feature maps
     * @return objectness maps then delta maps
     */
    @Override
    public NDList forward(ForwardContext ctx, NDList features) {
        NDList logits = new NDList();
        NDList deltas = new NDList();
        for (NDArray f : features) {
            NDArray t = conv.call(ctx, f);
            logits.add(clsLogits.call(ctx, t));
            deltas.add(bboxPred.call(ctx, t));
        }
        logits.addAll(deltas);
        return logits;
    }
}
