package org.fx4j.detection.rcnn;

import org.fx4j.nn.Module;

/**
 * torchvision's {@code MaskRCNN}: {@link FasterRCNN} plus a mask branch ({@code mask_roi_pool} 14x14
 * from the same maps as the boxes, {@link MaskRCNNHeads} of four 256-channel convolutions, {@link
 * MaskRCNNPredictor}); {@link #detect} returns per detection a mask of probabilities over the
 * original image. {@code new MaskRCNN(new Resnet50WithFpn(manager), 91)} runs as the seed writes it.
 */
public class MaskRCNN extends FasterRCNN {

    /**
     * Creates the model with torchvision's defaults.
     *
     * @param backbone the backbone, a {@link org.fx4j.detection.DetectionBackbone}
     * @param numClasses classes including the background
     */
    public MaskRCNN(Module backbone, int numClasses) {
        this(backbone, numClasses, new RcnnConfig(), new RcnnParts());
    }

    /**
     * Creates the model.
     *
     * @param backbone the backbone
     * @param numClasses classes including the background, or null when {@code parts} holds the predictors
     * @param config the numeric settings
     * @param parts modules replacing the defaults
     */
    public MaskRCNN(Module backbone, Integer numClasses, RcnnConfig config, RcnnParts parts) {
        super(Layout.of(backbone, numClasses, config, parts, true));
    }
}
