package org.fx4j.detection.rcnn;

import org.fx4j.detection.ops.MultiScaleRoIAlign;
import org.fx4j.nn.Module;

/**
 * The module arguments of torchvision's {@code FasterRCNN} / {@code MaskRCNN} constructors ({@code
 * rpn_anchor_generator}, {@code rpn_head}, {@code box_roi_pool}, ...): each left unset is built with
 * torchvision's defaults, fitted to the backbone's feature maps.
 */
public final class RcnnParts {

    AnchorGenerator anchorGenerator;
    RPNHead rpnHead;
    MultiScaleRoIAlign boxRoiPool;
    Module boxHead;
    FastRCNNPredictor boxPredictor;
    MultiScaleRoIAlign maskRoiPool;
    Module maskHead;
    Module maskPredictor;

    /** Creates an empty set of parts (all defaults). */
    public RcnnParts() {}

    /**
     * Sets {@code rpn_anchor_generator}.
     *
     * @param v the generator (one entry per feature map)
     * @return these parts
     */
    public RcnnParts anchorGenerator(AnchorGenerator v) {
        anchorGenerator = v;
        return this;
    }

    /**
     * Sets {@code rpn_head}.
     *
     * @param v the head
     * @return these parts
     */
    public RcnnParts rpnHead(RPNHead v) {
        rpnHead = v;
        return this;
    }

    /**
     * Sets {@code box_roi_pool}.
     *
     * @param v the pooler
     * @return these parts
     */
    public RcnnParts boxRoiPool(MultiScaleRoIAlign v) {
        boxRoiPool = v;
        return this;
    }

    /**
     * Sets {@code box_head}.
     *
     * @param v pooled features [K, C, h, w] to [K, representation]
     * @return these parts
     */
    public RcnnParts boxHead(Module v) {
        boxHead = v;
        return this;
    }

    /**
     * Sets {@code box_predictor} (then the model's {@code numClasses} must be null).
     *
     * @param v the predictor
     * @return these parts
     */
    public RcnnParts boxPredictor(FastRCNNPredictor v) {
        boxPredictor = v;
        return this;
    }

    /**
     * Sets {@code mask_roi_pool}.
     *
     * @param v the pooler
     * @return these parts
     */
    public RcnnParts maskRoiPool(MultiScaleRoIAlign v) {
        maskRoiPool = v;
        return this;
    }

    /**
     * Sets {@code mask_head}.
     *
     * @param v the head
     * @return these parts
     */
    public RcnnParts maskHead(Module v) {
        maskHead = v;
        return this;
    }

    /**
     * Sets {@code mask_predictor} (then the model's {@code numClasses} must be null).
     *
     * @param v the predictor
     * @return these parts
     */
    public RcnnParts maskPredictor(Module v) {
        maskPredictor = v;
        return this;
    }
}
