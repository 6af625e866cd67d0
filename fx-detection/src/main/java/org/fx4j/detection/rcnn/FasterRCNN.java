package org.fx4j.detection.rcnn;

import java.util.ArrayList;
import java.util.List;
import org.fx4j.detection.DetectionBackbone;
import org.fx4j.detection.ops.MultiScaleRoIAlign;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code FasterRCNN} on any {@link DetectionBackbone}. Where no anchor generator or RoI
 * pooler is given, they are derived from the backbone's feature maps: torchvision's exact defaults for
 * the standard 5-level FPN ({@code 0, 1, 2, 3, pool}: sizes 32..512, ratios 0.5, 1, 2; pooling from
 * {@code 0..3}), and for other backbones one anchor size per map ({@code 32 x 2^i}) and pooling from
 * every map but {@code pool}. (torchvision always assumes the 5-level FPN and fails at the first
 * forward on other backbones.) An explicit generator or pooler that does not fit the backbone fails
 * here, with the counts and names.
 */
public class FasterRCNN extends GeneralizedRCNN {

    /** The standard FPN backbone's maps. */
    public static final List<String> STANDARD_FPN_NAMES = List.of("0", "1", "2", "3", "pool");

    /**
     * Creates the model with torchvision's defaults.
     *
     * @param backbone the backbone
     * @param numClasses classes including the background
     */
    public FasterRCNN(Module backbone, int numClasses) {
        this(backbone, numClasses, new RcnnConfig(), new RcnnParts());
    }

    /**
     * Creates the model.
     *
     * @param backbone the backbone, a {@link DetectionBackbone}
     * @param numClasses classes including the background, or null when {@code parts} holds a box predictor
     * @param config the numeric settings
     * @param parts modules replacing the defaults
     */
    public FasterRCNN(Module backbone, Integer numClasses, RcnnConfig config, RcnnParts parts) {
        this(Layout.of(backbone, numClasses, config, parts, false));
    }

    /**
     * Creates the model from a resolved layout (used by {@link MaskRCNN}).
     *
     * @param layout the parts
     */
    protected FasterRCNN(Layout layout) {
        super(layout.backbone, layout.featureNames, layout.rpn, layout.roiHeads, layout.transform);
    }

    /** The resolved modules of a model. */
    protected static final class Layout {
        final Module backbone;
        final List<String> featureNames;
        final RegionProposalNetwork rpn;
        final RoIHeads roiHeads;
        final GeneralizedRCNNTransform transform;

        private Layout(Module backbone, List<String> featureNames, RegionProposalNetwork rpn, RoIHeads roiHeads,
                GeneralizedRCNNTransform transform) {
            this.backbone = backbone;
            this.featureNames = featureNames;
            this.rpn = rpn;
            this.roiHeads = roiHeads;
            this.transform = transform;
        }

        /**
         * Resolves defaults and checks the parts against the backbone.
         *
         * @param backbone the backbone
         * @param numClasses classes, or null with a predictor
         * @param config settings
         * @param parts explicit modules
         * @param mask whether to build the mask branch
         * @return the layout
         */
        static Layout of(Module backbone, Integer numClasses, RcnnConfig given, RcnnParts parts, boolean mask) {
            if (given == null || parts == null) {
                throw new IllegalArgumentException("config and parts must not be null; pass new RcnnConfig() and new"
                        + " RcnnParts() for torchvision's defaults");
            }
            RcnnConfig config = given.copy();
            if (backbone == null) {
                throw new IllegalArgumentException("backbone is null");
            }
            if (!(backbone instanceof DetectionBackbone)) {
                throw new IllegalArgumentException("backbone should contain an attribute out_channels specifying the"
                        + " number of output channels (assumed to be the same for all the levels): "
                        + backbone.getClass().getSimpleName() + " does not implement DetectionBackbone");
            }
            if (numClasses != null && parts.boxPredictor != null) {
                throw new IllegalArgumentException("num_classes should be None when box_predictor is specified");
            }
            if (numClasses == null && parts.boxPredictor == null) {
                throw new IllegalArgumentException("num_classes should not be None when box_predictor is not"
                        + " specified");
            }
            if (mask && numClasses != null && parts.maskPredictor != null) {
                throw new IllegalArgumentException("num_classes should be None when mask_predictor is specified");
            }
            DetectionBackbone db = (DetectionBackbone) backbone;
            int outChannels = db.outChannels();
            List<String> names = List.copyOf(db.featureNames());
            if (names.isEmpty() || names.size() != new java.util.HashSet<>(names).size()) {
                throw new IllegalArgumentException("the backbone's feature maps must be named distinctly, got "
                        + names);
            }
            List<String> poolNames = new ArrayList<>();
            for (String n : names) {
                if (!n.equals("pool")) {
                    poolNames.add(n);
                }
            }
            if (poolNames.isEmpty()) {
                poolNames.addAll(names);
            }
            AnchorGenerator anchors = parts.anchorGenerator != null ? parts.anchorGenerator
                    : names.equals(STANDARD_FPN_NAMES) ? AnchorGenerator.fpnDefault()
                    : AnchorGenerator.perLevel(names.size());
            if (anchors.numFeatureMaps() != names.size()) {
                throw new IllegalArgumentException("rpn_anchor_generator has sizes and aspect ratios for "
                        + anchors.numFeatureMaps() + " feature maps " + anchors.sizes() + ", but the backbone gives "
                        + names.size() + ": " + names + "; give one entry per feature map");
            }
            RPNHead rpnHead = parts.rpnHead != null ? parts.rpnHead
                    : new RPNHead(outChannels, anchors.numAnchorsPerLocation().get(0));
            RegionProposalNetwork rpn = new RegionProposalNetwork(anchors, rpnHead, config);
            MultiScaleRoIAlign boxPool = checkPool(parts.boxRoiPool != null ? parts.boxRoiPool
                    : new MultiScaleRoIAlign(poolNames, 7, 2), names, "box_roi_pool");
            Module boxHead = parts.boxHead != null ? parts.boxHead
                    : new TwoMLPHead(outChannels * boxPool.outputHeight() * boxPool.outputWidth(), 1024);
            FastRCNNPredictor boxPredictor = parts.boxPredictor != null ? parts.boxPredictor
                    : new FastRCNNPredictor(1024, numClasses);
            MultiScaleRoIAlign maskPool = null;
            Module maskHead = null;
            Module maskPredictor = null;
            if (mask) {
                maskPool = checkPool(parts.maskRoiPool != null ? parts.maskRoiPool
                        : new MultiScaleRoIAlign(poolNames, 14, 2), names, "mask_roi_pool");
                maskHead = parts.maskHead != null ? parts.maskHead
                        : new MaskRCNNHeads(outChannels, List.of(256, 256, 256, 256), 1, null);
                int classes = numClasses != null ? numClasses : boxPredictor.numClasses();
                maskPredictor = parts.maskPredictor != null ? parts.maskPredictor
                        : new MaskRCNNPredictor(256, 256, classes);
            }
            RoIHeads heads = new RoIHeads(boxPool, boxHead, boxPredictor, maskPool, maskHead, maskPredictor, config);
            return new Layout(backbone, names, rpn, heads, new GeneralizedRCNNTransform(config));
        }

        private static MultiScaleRoIAlign checkPool(MultiScaleRoIAlign pool, List<String> names, String what) {
            for (String n : pool.featmapNames()) {
                if (!names.contains(n)) {
                    throw new IllegalArgumentException(what + " pools feature maps " + pool.featmapNames()
                            + " but the backbone gives " + names + "; name maps it gives");
                }
            }
            return pool;
        }
    }
}
