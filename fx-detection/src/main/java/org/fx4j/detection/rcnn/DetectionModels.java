package org.fx4j.detection.rcnn;

import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.detection.BackboneWithFPN;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.FrozenBatchNorm2d;

/**
 * torchvision's {@code maskrcnn_resnet50_fpn} and {@code fasterrcnn_resnet50_fpn} without downloaded
 * weights: a ResNet-50 FPN backbone and the default heads, parameter names equal to torchvision's,
 * so a torchvision state dict loads strictly. As torchvision builds them with {@code weights=None},
 * the backbone uses BatchNorm2d and trains all five stages; with {@code frozenBatchNorm} it uses
 * FrozenBatchNorm2d (no {@code num_batches_tracked} keys) and three trainable stages, as torchvision
 * builds the pretrained models.
 */
public final class DetectionModels {

    private DetectionModels() {}

    /**
     * {@code maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=numClasses)}.
     *
     * @param numClasses classes including the background (91 for COCO)
     * @return the model, not initialised
     */
    public static MaskRCNN maskrcnnResnet50Fpn(int numClasses) {
        return maskrcnnResnet50Fpn(numClasses, false, new RcnnConfig());
    }

    /**
     * {@code maskrcnn_resnet50_fpn} with settings.
     *
     * @param numClasses classes including the background
     * @param frozenBatchNorm FrozenBatchNorm2d and 3 trainable stages (the pretrained models' layout)
     *     instead of BatchNorm2d and 5
     * @param config the numeric settings ({@code box_score_thresh}, {@code min_size}, ...)
     * @return the model, not initialised
     */
    public static MaskRCNN maskrcnnResnet50Fpn(int numClasses, boolean frozenBatchNorm, RcnnConfig config) {
        return new MaskRCNN(backbone(frozenBatchNorm), numClasses, config, new RcnnParts());
    }

    /**
     * {@code maskrcnn_resnet50_fpn} with FrozenBatchNorm2d (the pretrained models' layout) and a chosen
     * number of trainable backbone stages, as torchvision's {@code trainable_backbone_layers}: 0 trains
     * the FPN and the heads only, 5 every convolution from {@code conv1} on (frozen batch norms have no
     * trainable parameters and never update their statistics).
     *
     * @param numClasses classes including the background
     * @param trainableLayers trainable ResNet stages counted from layer4, 0..5
     * @param config the numeric settings
     * @return the model, not initialised
     * @throws IllegalArgumentException for trainable layers outside 0..5 (torchvision's message)
     */
    public static MaskRCNN maskrcnnResnet50Fpn(int numClasses, int trainableLayers, RcnnConfig config) {
        BackboneWithFPN backbone = DetectionBackbones.resnetFpnBackbone("resnet50", trainableLayers, null, null,
                FrozenBatchNorm2d::new);
        return new MaskRCNN(backbone, numClasses, config, new RcnnParts());
    }

    /**
     * {@code fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_classes=numClasses)}.
     *
     * @param numClasses classes including the background
     * @return the model, not initialised
     */
    public static FasterRCNN fasterrcnnResnet50Fpn(int numClasses) {
        return fasterrcnnResnet50Fpn(numClasses, false, new RcnnConfig());
    }

    /**
     * {@code fasterrcnn_resnet50_fpn} with settings.
     *
     * @param numClasses classes including the background
     * @param frozenBatchNorm FrozenBatchNorm2d and 3 trainable stages instead of BatchNorm2d and 5
     * @param config the numeric settings
     * @return the model, not initialised
     */
    public static FasterRCNN fasterrcnnResnet50Fpn(int numClasses, boolean frozenBatchNorm, RcnnConfig config) {
        return new FasterRCNN(backbone(frozenBatchNorm), numClasses, config, new RcnnParts());
    }

    private static BackboneWithFPN backbone(boolean frozen) {
        IntFunction<Block> norm = frozen ? FrozenBatchNorm2d::new : BatchNorm2d::new;
        return DetectionBackbones.resnetFpnBackbone("resnet50", frozen ? 3 : 5, null, null, norm);
    }
}
