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
import org.fx4j.nn.Scalars;

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
     * Returns the number of classes the box predictor scores (background included).
     *
     * @return the class count
     */
    public int numClasses() {
        return boxPredictor.numClasses();
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

    /**
     * torchvision's RoI-head losses (training): the ground-truth boxes joined to the proposals, each
     * matched ({@link Matcher} at {@code boxFgIouThresh} / {@code boxBgIouThresh}), {@code
     * boxBatchSizePerImage} sampled at {@code boxPositiveFraction}, {@code loss_classifier}
     * (cross-entropy), {@code loss_box_reg} (smooth L1, beta 1/9, of the positives' class deltas,
     * divided by the number of samples) and, with a mask branch, {@code loss_mask}: binary
     * cross-entropy of the positives' class logits against their ground-truth mask pooled to the
     * logits' size in the positive's box (RoIAlign, adaptive sampling).
     *
     * @param ctx the caller's context
     * @param features the maps by name
     * @param proposals one [P_i, 4] array per image (no gradient)
     * @param imageSizes the resized image sizes
     * @param targets per image, boxes and labels (and masks) in the batch's (resized) pixels
     * @param random the proposal sampler's random source
     * @return {@code loss_classifier}, {@code loss_box_reg} and, with masks, {@code loss_mask}, in
     *     the first proposals' manager
     */
    public java.util.LinkedHashMap<String, NDArray> losses(ForwardContext ctx, Map<String, NDArray> features,
            List<NDArray> proposals, List<int[]> imageSizes, List<DetectionTarget> targets, java.util.Random random) {
        BalancedPositiveNegativeSampler sampler = new BalancedPositiveNegativeSampler(config.boxBatchSizePerImage,
                config.boxPositiveFraction, random);
        NDManager parent = proposals.get(0).getManager();
        java.util.LinkedHashMap<String, NDArray> losses = new java.util.LinkedHashMap<>();
        try (NDManager scope = parent.newSubManager()) {
            Matcher matcher = new Matcher(config.boxFgIouThresh, config.boxBgIouThresh, false);
            List<NDArray> sampledProposals = new ArrayList<>();
            List<long[]> sampledLabels = new ArrayList<>();
            List<long[]> sampledMatches = new ArrayList<>();
            NDList regressionTargets = new NDList();
            for (int i = 0; i < proposals.size(); i++) {
                DetectionTarget t = targets.get(i);
                NDArray gt = t.boxes().toType(proposals.get(i).getDataType(), false);
                NDArray all = ai.djl.ndarray.NDArrays.concat(new NDList(proposals.get(i), gt), 0);
                int n = (int) all.getShape().get(0);
                long[] matched = new long[n];
                long[] labels = new long[n];
                if (gt.getShape().get(0) > 0) {
                    long[] m = matcher.match(BoxOps.boxIou(gt, all)).toLongArray();
                    long[] gtLabels = t.labels().toLongArray();
                    for (int j = 0; j < n; j++) {
                        matched[j] = Math.max(m[j], 0);
                        labels[j] = m[j] == Matcher.BELOW_LOW_THRESHOLD ? 0
                                : m[j] == Matcher.BETWEEN_THRESHOLDS ? -1 : gtLabels[(int) matched[j]];
                    }
                }
                boolean[][] chosen = sampler.sample(labels);
                List<Integer> keep = new ArrayList<>();
                for (int j = 0; j < n; j++) {
                    if (chosen[0][j] || chosen[1][j]) {
                        keep.add(j);
                    }
                }
                long[] keepIdx = keep.stream().mapToLong(Integer::longValue).toArray();
                long[] keptLabels = new long[keepIdx.length];
                long[] keptMatches = new long[keepIdx.length];
                for (int j = 0; j < keepIdx.length; j++) {
                    keptLabels[j] = labels[(int) keepIdx[j]];
                    keptMatches[j] = matched[(int) keepIdx[j]];
                }
                NDArray picked = BoxOps.select(all, scope.create(keepIdx));
                NDArray gtForRows = gt.getShape().get(0) == 0 ? scope.zeros(new Shape(1, 4), gt.getDataType()) : gt;
                NDArray matchedBoxes = BoxOps.select(gtForRows, scope.create(keptMatches));
                sampledProposals.add(picked);
                sampledLabels.add(keptLabels);
                sampledMatches.add(keptMatches);
                regressionTargets.add(boxCoder.encode(matchedBoxes, picked));
            }
            NDList out = boxOutputs(ctx, features, sampledProposals, imageSizes);
            NDArray logits = out.get(0);
            NDArray deltas = out.get(1);
            long total = logits.getShape().get(0);
            int numClasses = (int) logits.getShape().get(1);
            long[] allLabels = new long[(int) total];
            int offset = 0;
            for (long[] l : sampledLabels) {
                System.arraycopy(l, 0, allLabels, offset, l.length);
                offset += l.length;
            }
            NDArray classifier = DetectionLosses.crossEntropy(logits, scope.create(allLabels));
            List<Long> positiveRows = new ArrayList<>();
            List<Long> positiveRowsOfClass = new ArrayList<>();
            for (int r = 0; r < allLabels.length; r++) {
                if (allLabels[r] > 0) {
                    positiveRows.add((long) r);
                    positiveRowsOfClass.add((long) r * numClasses + allLabels[r]);
                }
            }
            NDArray targetsAll = regressionTargets.size() == 1 ? regressionTargets.get(0)
                    : ai.djl.ndarray.NDArrays.concat(regressionTargets, 0);
            NDArray predicted = BoxOps.select(deltas.reshape(total * numClasses, 4),
                    scope.create(positiveRowsOfClass.stream().mapToLong(Long::longValue).toArray()));
            NDArray wanted = BoxOps.select(targetsAll,
                    scope.create(positiveRows.stream().mapToLong(Long::longValue).toArray()));
            NDArray boxReg = Scalars.div(DetectionLosses.smoothL1Sum(predicted, wanted, 1.0 / 9), total);
            losses.put("loss_classifier", classifier);
            losses.put("loss_box_reg", boxReg);
            if (hasMask()) {
                losses.put("loss_mask", maskLoss(ctx, features, imageSizes, targets, sampledProposals, sampledLabels,
                        sampledMatches, scope));
            }
            for (NDArray l : losses.values()) {
                l.attach(parent);
            }
        }
        return losses;
    }

    private NDArray maskLoss(ForwardContext ctx, Map<String, NDArray> features, List<int[]> imageSizes,
            List<DetectionTarget> targets, List<NDArray> proposals, List<long[]> labels, List<long[]> matches,
            NDManager scope) {
        // only the positives: their boxes, the ground truth each matched, and its label
        List<NDArray> positiveBoxes = new ArrayList<>();
        List<List<Long>> gtIndex = new ArrayList<>();
        List<Long> positiveLabels = new ArrayList<>();
        for (int i = 0; i < proposals.size(); i++) {
            List<Long> rows = new ArrayList<>();
            List<Long> matched = new ArrayList<>();
            for (int j = 0; j < labels.get(i).length; j++) {
                if (labels.get(i)[j] > 0) {
                    rows.add((long) j);
                    matched.add(matches.get(i)[j]);
                    positiveLabels.add(labels.get(i)[j]);
                }
            }
            positiveBoxes.add(BoxOps.select(proposals.get(i), scope.create(rows.stream().mapToLong(Long::longValue)
                    .toArray())));
            gtIndex.add(matched);
        }
        NDArray pooled = maskRoiPool.pool(features, positiveBoxes, imageSizes);
        NDArray maskLogits = maskPredictor.call(ctx, maskHead.call(ctx, pooled));
        if (positiveLabels.isEmpty()) {
            return Scalars.mul(maskLogits.sum(), 0); // torchvision's empty case: zero, still in the graph
        }
        long n = maskLogits.getShape().get(0);
        long classes = maskLogits.getShape().get(1);
        int mh = (int) maskLogits.getShape().get(2);
        int mw = (int) maskLogits.getShape().get(3);
        NDList maskTargets = new NDList();
        for (int i = 0; i < proposals.size(); i++) {
            if (!gtIndex.get(i).isEmpty()) {
                maskTargets.add(maskTargets(targets.get(i).masks(), positiveBoxes.get(i), gtIndex.get(i), mh, mw,
                        scope));
            }
        }
        long[] rowsOfClass = new long[positiveLabels.size()];
        for (int r = 0; r < rowsOfClass.length; r++) {
            rowsOfClass[r] = r * classes + positiveLabels.get(r);
        }
        NDArray picked = BoxOps.select(maskLogits.reshape(n * classes, mh, mw), scope.create(rowsOfClass));
        NDArray wanted = maskTargets.size() == 1 ? maskTargets.get(0) : ai.djl.ndarray.NDArrays.concat(maskTargets, 0);
        return DetectionLosses.binaryCrossEntropyWithLogits(picked, wanted);
    }

    /** project_masks_on_boxes: each positive's ground-truth mask pooled in its box to the logits' size. */
    private static NDArray maskTargets(NDArray gtMasks, NDArray boxes, List<Long> gtIndex, int height, int width,
            NDManager scope) {
        NDArray masks = gtMasks.toType(boxes.getDataType(), false).expandDims(1);
        double[] b = boxes.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] rois = new double[gtIndex.size() * 5];
        for (int r = 0; r < gtIndex.size(); r++) {
            rois[r * 5] = gtIndex.get(r);
            System.arraycopy(b, r * 4, rois, r * 5 + 1, 4);
        }
        NDArray roiArray = scope.create(rois, new Shape(gtIndex.size(), 5)).toType(boxes.getDataType(), false);
        return org.fx4j.detection.ops.RoIAlign.roiAlign(masks, roiArray, height, width, 1.0, -1, false).squeeze(1);
    }

    /** The box branch on pooled features: class logits then deltas. */
    @Override
    public NDList forward(ForwardContext ctx, NDList pooled) {
        return boxPredictor.call(ctx, new NDList(boxHead.call(ctx, pooled.singletonOrThrow())));
    }
}
