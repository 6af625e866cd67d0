package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.ops.BoxOps;
import org.fx4j.detection.ops.MultiScaleRoIAlign;
import org.fx4j.detection.ops.Nms;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code RoIHeads} at inference: proposals pooled ({@code box_roi_pool}), {@code
 * box_head}, {@code box_predictor}; boxes decoded per class ({@link BoxCoder} with {@code
 * bbox_reg_weights}), clipped, background dropped, scores {@code > boxScoreThresh} kept, boxes under
 * 1e-2 dropped, suppressed per class at {@code boxNmsThresh}, the best {@code boxDetectionsPerImg}
 * kept; with a mask branch, the detections pooled ({@code mask_roi_pool}), {@code mask_head}, {@code
 * mask_predictor}, and each detection's class map through a sigmoid.
 */
public final class RoIHeads extends Module {

    private static final double MIN_SIZE = 1e-2;

    private final MultiScaleRoIAlign boxRoiPool;
    private final Module boxHead;
    private final FastRCNNPredictor boxPredictor;
    private final MultiScaleRoIAlign maskRoiPool;
    private final Module maskHead;
    private final Module maskPredictor;
    private final BoxCoder boxCoder;
    private final RcnnConfig config;

    /**
     * Creates the heads.
     *
     * @param boxRoiPool pools proposals
     * @param boxHead box features from pooled proposals
     * @param boxPredictor class logits and deltas
     * @param maskRoiPool pools detections for masks, or null for no mask branch
     * @param maskHead mask features, or null
     * @param maskPredictor mask logits per class, or null
     * @param config thresholds
     */
    public RoIHeads(MultiScaleRoIAlign boxRoiPool, Module boxHead, FastRCNNPredictor boxPredictor,
            MultiScaleRoIAlign maskRoiPool, Module maskHead, Module maskPredictor, RcnnConfig config) {
        boolean anyMask = maskRoiPool != null || maskHead != null || maskPredictor != null;
        boolean allMask = maskRoiPool != null && maskHead != null && maskPredictor != null;
        if (anyMask && !allMask) {
            throw new IllegalArgumentException("a mask branch needs mask_roi_pool, mask_head and mask_predictor"
                    + " together");
        }
        this.boxRoiPool = boxRoiPool;
        this.boxHead = register("box_head", boxHead);
        this.boxPredictor = register("box_predictor", boxPredictor);
        this.maskRoiPool = maskRoiPool;
        this.maskHead = maskHead == null ? null : register("mask_head", maskHead);
        this.maskPredictor = maskPredictor == null ? null : register("mask_predictor", maskPredictor);
        double[] w = config.bboxRegWeights;
        this.boxCoder = new BoxCoder(w[0], w[1], w[2], w[3]);
        this.config = config.copy();
    }

    /**
     * Returns whether the heads predict masks.
     *
     * @return true with a mask branch
     */
    public boolean hasMask() {
        return maskPredictor != null;
    }

    /**
     * Returns the box pooler.
     *
     * @return {@code box_roi_pool}
     */
    public MultiScaleRoIAlign boxRoiPool() {
        return boxRoiPool;
    }

    /**
     * Returns the mask pooler.
     *
     * @return {@code mask_roi_pool}, or null
     */
    public MultiScaleRoIAlign maskRoiPool() {
        return maskRoiPool;
    }

    /**
     * The box branch's raw outputs for given proposals.
     *
     * @param ctx the context
     * @param features the maps by name
     * @param proposals one [P_i, 4] array per image
     * @param imageSizes the resized image sizes
     * @return class logits [sum P_i, classes], box deltas [sum P_i, 4 x classes]
     */
    public NDList boxOutputs(ForwardContext ctx, Map<String, NDArray> features, List<NDArray> proposals,
            List<int[]> imageSizes) {
        NDArray pooled = boxRoiPool.pool(features, proposals, imageSizes);
        NDArray boxFeatures = boxHead.call(ctx, pooled);
        return boxPredictor.call(ctx, new NDList(boxFeatures));
    }

    /**
     * Detects objects among the proposals (inference).
     *
     * @param ctx the context
     * @param features the maps by name
     * @param proposals one [P_i, 4] array per image
     * @param imageSizes the resized image sizes
     * @return per image: boxes in the resized image, labels, scores, and [N, 1, 28, 28] mask
     *     probabilities (null without a mask branch)
     */
    public List<Detections> detect(ForwardContext ctx, Map<String, NDArray> features, List<NDArray> proposals,
            List<int[]> imageSizes) {
        NDManager parent = proposals.get(0).getManager();
        List<Detections> boxes;
        try (NDManager scope = parent.newSubManager()) {
            // Pooled features, head activations and per-class boxes stay in this scope; detections leave it.
            attachAll(scope, features, proposals);
            boxes = detectBoxes(ctx, features, proposals, imageSizes);
            for (Detections d : boxes) {
                d.boxes().attach(parent);
                d.labels().attach(parent);
                d.scores().attach(parent);
            }
        }
        if (!hasMask()) {
            return boxes;
        }
        try (NDManager scope = parent.newSubManager()) {
            attachAll(scope, features, proposals);
            List<Detections> out = detectMasks(ctx, features, boxes, imageSizes);
            for (Detections d : out) {
                d.masks().attach(parent);
            }
            return out;
        }
    }

    private static void attachAll(NDManager scope, Map<String, NDArray> features, List<NDArray> proposals) {
        for (NDArray f : features.values()) {
            scope.tempAttachAll(f);
        }
        for (NDArray p : proposals) {
            scope.tempAttachAll(p);
        }
    }

    private List<Detections> detectBoxes(ForwardContext ctx, Map<String, NDArray> features, List<NDArray> proposals,
            List<int[]> imageSizes) {
        NDList out = boxOutputs(ctx, features, proposals, imageSizes);
        NDArray logits = out.get(0);
        NDArray deltas = out.get(1);
        int numClasses = (int) logits.getShape().get(1);
        NDManager manager = logits.getManager();
        NDList proposalList = new NDList(proposals.toArray(new NDArray[0]));
        NDArray allProposals = proposalList.size() == 1 ? proposalList.get(0)
                : ai.djl.ndarray.NDArrays.concat(proposalList, 0);
        NDArray predBoxes = boxCoder.decode(deltas, allProposals);
        NDArray predScores = logits.softmax(-1);
        List<Detections> result = new ArrayList<>();
        long start = 0;
        for (int i = 0; i < proposals.size(); i++) {
            long n = proposals.get(i).getShape().get(0);
            int[] size = imageSizes.get(i);
            NDArray boxes = predBoxes.get(new NDIndex("{}:{}", start, start + n));
            NDArray scores = predScores.get(new NDIndex("{}:{}", start, start + n));
            start += n;
            boxes = BoxOps.clipBoxesToImage(boxes.reshape(-1, 4), size[0], size[1]).reshape(n, numClasses, 4);
            NDArray labels = manager.arange(0, numClasses, 1, DataType.INT64).reshape(1, numClasses)
                    .broadcast(new Shape(n, numClasses));
            boxes = boxes.get(":, 1:").reshape(-1, 4);
            scores = scores.get(":, 1:").reshape(-1);
            labels = labels.get(":, 1:").reshape(-1);
            NDArray keep = BoxOps.nonzero(scores.gt(config.boxScoreThresh));
            boxes = BoxOps.select(boxes, keep);
            scores = BoxOps.select(scores, keep);
            labels = BoxOps.select(labels, keep);
            keep = BoxOps.removeSmallBoxes(boxes, MIN_SIZE);
            boxes = BoxOps.select(boxes, keep);
            scores = BoxOps.select(scores, keep);
            labels = BoxOps.select(labels, keep);
            keep = Nms.batchedNms(boxes, scores, labels, config.boxNmsThresh);
            keep = keep.get(new NDIndex("0:{}", Math.min(keep.getShape().get(0), config.boxDetectionsPerImg)));
            result.add(new Detections(BoxOps.select(boxes, keep), BoxOps.select(labels, keep),
                    BoxOps.select(scores, keep), null));
        }
        return result;
    }

    private List<Detections> detectMasks(ForwardContext ctx, Map<String, NDArray> features, List<Detections> result,
            List<int[]> imageSizes) {
        NDManager manager = result.get(0).boxes().getManager();
        DataType type = result.get(0).boxes().getDataType();
        List<NDArray> detBoxes = new ArrayList<>();
        long total = 0;
        for (Detections d : result) {
            detBoxes.add(d.boxes());
            total += d.size();
        }
        List<Detections> withMasks = new ArrayList<>();
        if (total == 0) {
            for (Detections d : result) {
                NDArray empty = manager.zeros(new Shape(0, 1, maskRoiPool.outputHeight() * 2L,
                        maskRoiPool.outputWidth() * 2L), type, d.boxes().getDevice());
                withMasks.add(new Detections(d.boxes(), d.labels(), d.scores(), empty));
            }
            return withMasks;
        }
        NDArray pooled = maskRoiPool.pool(features, detBoxes, imageSizes);
        NDArray maskLogits = maskPredictor.call(ctx, maskHead.call(ctx, pooled));
        long classes = maskLogits.getShape().get(1);
        long mh = maskLogits.getShape().get(2);
        long mw = maskLogits.getShape().get(3);
        NDArray flat = maskLogits.reshape(total * classes, mh, mw);
        long offset = 0;
        for (Detections d : result) {
            long[] labels = d.labels().toLongArray();
            long[] rows = new long[labels.length];
            for (int j = 0; j < labels.length; j++) {
                rows[j] = (offset + j) * classes + labels[j];
            }
            offset += labels.length;
            NDArray picked = BoxOps.select(flat, maskLogits.getManager().create(rows, new Shape(rows.length)))
                    .getNDArrayInternal().sigmoid().reshape(rows.length, 1, mh, mw);
            withMasks.add(new Detections(d.boxes(), d.labels(), d.scores(), picked));
        }
        return withMasks;
    }

    /** The box branch on pooled features: class logits then deltas. */
    @Override
    public NDList forward(ForwardContext ctx, NDList pooled) {
        return boxPredictor.call(ctx, new NDList(boxHead.call(ctx, pooled.singletonOrThrow())));
    }
}
