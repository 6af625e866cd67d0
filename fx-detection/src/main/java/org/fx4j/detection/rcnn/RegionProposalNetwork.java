package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fx4j.detection.ops.BoxOps;
import org.fx4j.detection.ops.Nms;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;
import org.fx4j.nn.Scalars;

/**
 * torchvision's {@code RegionProposalNetwork}: the {@link RPNHead} scores and regresses every anchor
 * of the {@link AnchorGenerator}; per image, the {@code preNmsTopN} best anchors of each level are
 * decoded ({@link BoxCoder} with unit weights), clipped to the image, boxes smaller than 1e-3 and
 * scores below {@code scoreThresh} dropped, suppressed per level at {@code nmsThresh}, and the best
 * {@code postNmsTopN} kept. Its state-dict keys are the head's ({@code head.conv.0.0.weight}).
 */
public final class RegionProposalNetwork extends Module {

    private static final double MIN_SIZE = 1e-3;

    private final AnchorGenerator anchorGenerator;
    private final RPNHead head;
    private final BoxCoder boxCoder = new BoxCoder(1, 1, 1, 1);
    private final RcnnConfig config;

    /**
     * Creates the network.
     *
     * @param anchorGenerator the anchors
     * @param head the head (its anchors per location must match the generator's)
     * @param config thresholds and top-n counts
     */
    public RegionProposalNetwork(AnchorGenerator anchorGenerator, RPNHead head, RcnnConfig config) {
        for (int a : anchorGenerator.numAnchorsPerLocation()) {
            if (a != head.numAnchors()) {
                throw new IllegalArgumentException("RPNHead predicts " + head.numAnchors() + " anchors per location,"
                        + " the anchor generator makes " + anchorGenerator.numAnchorsPerLocation());
            }
        }
        this.anchorGenerator = anchorGenerator;
        this.head = register("head", head);
        this.config = config.copy();
    }

    /**
     * Returns the anchor generator.
     *
     * @return the generator
     */
    public AnchorGenerator anchorGenerator() {
        return anchorGenerator;
    }

    /**
     * The proposals of one batch, with their objectness probabilities.
     *
     * @param boxes one [P_i, 4] array per image, by descending score
     * @param scores one [P_i] array per image
     */
    public record Proposals(List<NDArray> boxes, List<NDArray> scores) {}

    /**
     * Proposes boxes for each image (inference: the test-time top-n counts).
     *
     * @param ctx the caller's context
     * @param images the batch
     * @param features the feature maps, in the anchor generator's order
     * @return the proposals, in the features' manager
     */
    public Proposals propose(ForwardContext ctx, ImageList images, List<NDArray> features) {
        NDManager parent = features.get(0).getManager();
        try (NDManager manager = parent.newSubManager()) {
            // The head's maps and every intermediate stay in this scope; only the proposals leave it.
            for (NDArray f : features) {
                manager.tempAttachAll(f);
            }
            manager.tempAttachAll(images.tensors());
            Proposals p = propose(ctx, images, features, manager);
            for (int i = 0; i < p.boxes().size(); i++) {
                p.boxes().get(i).attach(parent);
                p.scores().get(i).attach(parent);
            }
            return p;
        }
    }

    /** The head's outputs in torchvision's layout, with the anchors: what proposals and losses are made from. */
    private record HeadOutputs(NDArray objectness, NDArray deltas, NDArray anchors, long[] perLevel) {}

    private Proposals propose(ForwardContext ctx, ImageList images, List<NDArray> features, NDManager manager) {
        return proposals(images, headOutputs(ctx, images, features, manager), manager);
    }

    private HeadOutputs headOutputs(ForwardContext ctx, ImageList images, List<NDArray> features,
            NDManager manager) {
        NDList out = head.call(ctx, new NDList(features));
        int levels = features.size();
        NDArray anchors = anchorGenerator.anchors(images, features, manager);
        // concat_box_prediction_layers: [N, A*C, H, W] -> [N, H*W*A, C], levels concatenated
        NDList objectness = new NDList();
        NDList deltas = new NDList();
        long[] perLevel = new long[levels];
        for (int l = 0; l < levels; l++) {
            NDArray o = out.get(l);
            NDArray d = out.get(levels + l);
            long n = o.getShape().get(0);
            long a = o.getShape().get(1);
            long h = o.getShape().get(2);
            long w = o.getShape().get(3);
            perLevel[l] = a * h * w;
            objectness.add(o.reshape(n, a, 1, h, w).transpose(0, 3, 4, 1, 2).reshape(n, -1));
            deltas.add(d.reshape(n, a, 4, h, w).transpose(0, 3, 4, 1, 2).reshape(n, -1, 4));
        }
        NDArray obj = levels == 1 ? objectness.get(0) : NDArrays.concat(objectness, 1);
        NDArray del = levels == 1 ? deltas.get(0) : NDArrays.concat(deltas, 1);
        return new HeadOutputs(obj, del, anchors, perLevel);
    }

    private Proposals proposals(ImageList images, HeadOutputs head, NDManager manager) {
        int numImages = (int) images.tensors().getShape().get(0);
        NDArray anchors = head.anchors();
        long[] perLevel = head.perLevel();
        int levels = perLevel.length;
        // proposals are made from detached outputs, as torchvision's
        NDArray obj = head.objectness().stopGradient();
        NDArray del = head.deltas().stopGradient();
        long total = obj.getShape().get(1);
        NDArray repeated = numImages == 1 ? anchors : NDArrays.concat(repeat(anchors, numImages), 0);
        NDArray proposals = boxCoder.decode(del.reshape(-1, 4), repeated).reshape(numImages, total, 4);
        // top-n per level
        int preNms = isTraining() ? config.rpnPreNmsTopNTrain : config.rpnPreNmsTopNTest;
        int postNms = isTraining() ? config.rpnPostNmsTopNTrain : config.rpnPostNmsTopNTest;
        NDList top = new NDList();
        List<Long> levelOfTop = new ArrayList<>();
        long offset = 0;
        for (int l = 0; l < levels; l++) {
            NDArray ob = obj.get(new NDIndex(":, {}:{}", offset, offset + perLevel[l]));
            int k = (int) Math.min(preNms, perLevel[l]);
            NDArray idx = ob.topK(k, 1, true, true).get(1).add(offset);
            top.add(idx);
            for (int i = 0; i < k; i++) {
                levelOfTop.add((long) l);
            }
            offset += perLevel[l];
        }
        NDArray topIdx = levels == 1 ? top.get(0) : NDArrays.concat(top, 1);
        NDArray lvl = manager.create(levelOfTop.stream().mapToLong(Long::longValue).toArray());
        List<NDArray> boxesOut = new ArrayList<>();
        List<NDArray> scoresOut = new ArrayList<>();
        for (int i = 0; i < numImages; i++) {
            NDArray idx = topIdx.get(i);
            NDArray boxes = BoxOps.select(proposals.get(i), idx);
            NDArray scores = BoxOps.select(obj.get(i), idx).getNDArrayInternal().sigmoid();
            NDArray levelsI = lvl;
            int[] size = images.imageSizes().get(i);
            boxes = BoxOps.clipBoxesToImage(boxes, size[0], size[1]);
            NDArray keep = BoxOps.removeSmallBoxes(boxes, MIN_SIZE);
            boxes = BoxOps.select(boxes, keep);
            scores = BoxOps.select(scores, keep);
            levelsI = BoxOps.select(levelsI, keep);
            keep = BoxOps.nonzero(scores.gte(config.rpnScoreThresh));
            boxes = BoxOps.select(boxes, keep);
            scores = BoxOps.select(scores, keep);
            levelsI = BoxOps.select(levelsI, keep);
            keep = Nms.batchedNms(boxes, scores, levelsI, config.rpnNmsThresh);
            long kept = Math.min(keep.getShape().get(0), postNms);
            keep = keep.get(new NDIndex("0:{}", kept));
            boxesOut.add(BoxOps.select(boxes, keep));
            scoresOut.add(BoxOps.select(scores, keep));
        }
        return new Proposals(boxesOut, scoresOut);
    }

    /**
     * The proposals and the two RPN losses of one training batch.
     *
     * @param proposals per image, the training-time top-n proposals (no gradient)
     * @param lossObjectness {@code loss_objectness}: binary cross-entropy of the sampled anchors
     * @param lossRpnBoxReg {@code loss_rpn_box_reg}: smooth L1 (beta 1/9) of the sampled positives'
     *     deltas, summed and divided by the number of sampled anchors
     */
    public record TrainingOutput(Proposals proposals, NDArray lossObjectness, NDArray lossRpnBoxReg) {}

    /**
     * Proposes boxes and computes torchvision's RPN losses (training): anchors matched to the ground
     * truth ({@link Matcher} at {@code rpnFgIouThresh} / {@code rpnBgIouThresh} with low-quality
     * matches), {@code rpnBatchSizePerImage} anchors sampled at {@code rpnPositiveFraction}, regression
     * targets encoded with unit weights.
     *
     * @param ctx the caller's context
     * @param images the batch
     * @param features the feature maps, in the anchor generator's order
     * @param gtBoxes per image, [K_i, 4] ground-truth boxes in the batch's (resized) pixels
     * @param random the anchor sampler's random source
     * @return the proposals and losses, in the features' manager
     */
    public TrainingOutput trainingStep(ForwardContext ctx, ImageList images, List<NDArray> features,
            List<NDArray> gtBoxes, java.util.Random random) {
        BalancedPositiveNegativeSampler sampler = new BalancedPositiveNegativeSampler(config.rpnBatchSizePerImage,
                config.rpnPositiveFraction, random);
        NDManager parent = features.get(0).getManager();
        try (NDManager manager = parent.newSubManager()) {
            HeadOutputs out = headOutputs(ctx, images, features, manager);
            Proposals proposals = proposals(images, out, manager);
            int numImages = gtBoxes.size();
            long total = out.objectness().getShape().get(1);
            Matcher matcher = new Matcher(config.rpnFgIouThresh, config.rpnBgIouThresh, true);
            List<Long> positives = new ArrayList<>();
            List<Long> sampled = new ArrayList<>();
            double[] labels = new double[(int) (numImages * total)];
            NDList targets = new NDList();
            NDArray anchors = out.anchors();
            for (int i = 0; i < numImages; i++) {
                NDArray gt = gtBoxes.get(i).toType(anchors.getDataType(), false);
                long[] matched;
                NDArray matchedBoxes;
                if (gt.getShape().get(0) == 0) {
                    matched = new long[(int) total];
                    Arrays.fill(matched, Matcher.BELOW_LOW_THRESHOLD);
                    matchedBoxes = manager.zeros(anchors.getShape(), anchors.getDataType());
                } else {
                    NDArray m = matcher.match(BoxOps.boxIou(gt, anchors));
                    matched = m.toLongArray();
                    matchedBoxes = BoxOps.select(gt, m.clip(0, Long.MAX_VALUE));
                }
                long[] sampleLabels = new long[matched.length];
                for (int a = 0; a < matched.length; a++) {
                    sampleLabels[a] = matched[a] >= 0 ? 1 : matched[a] == Matcher.BELOW_LOW_THRESHOLD ? 0 : -1;
                    labels[(int) (i * total + a)] = Math.max(sampleLabels[a], 0);
                }
                boolean[][] chosen = sampler.sample(sampleLabels);
                List<Long> negatives = new ArrayList<>();
                for (int a = 0; a < matched.length; a++) {
                    if (chosen[0][a]) {
                        positives.add(i * total + a);
                    }
                    if (chosen[1][a]) {
                        negatives.add(i * total + a);
                    }
                }
                // torchvision concatenates all images' positives, then all negatives
                sampled.addAll(negatives);
                targets.add(boxCoder.encode(matchedBoxes, anchors));
            }
            // positives first, image by image, then the negatives: torchvision's sampled_inds order
            List<Long> order = new ArrayList<>(positives);
            order.addAll(sampled);
            NDArray posIdx = manager.create(positives.stream().mapToLong(Long::longValue).toArray());
            NDArray allIdx = manager.create(order.stream().mapToLong(Long::longValue).toArray());
            NDArray regressionTargets = numImages == 1 ? targets.get(0) : NDArrays.concat(targets, 0);
            NDArray deltas = out.deltas().reshape(-1, 4);
            NDArray boxLoss = Scalars.div(DetectionLosses.smoothL1Sum(BoxOps.select(deltas, posIdx),
                    BoxOps.select(regressionTargets, posIdx), 1.0 / 9), order.size());
            NDArray labelArray = manager.create(labels).toType(out.objectness().getDataType(), false);
            NDArray objectnessLoss = DetectionLosses.binaryCrossEntropyWithLogits(
                    BoxOps.select(out.objectness().reshape(-1), allIdx), BoxOps.select(labelArray, allIdx));
            for (int i = 0; i < proposals.boxes().size(); i++) {
                proposals.boxes().get(i).attach(parent);
                proposals.scores().get(i).attach(parent);
            }
            objectnessLoss.attach(parent);
            boxLoss.attach(parent);
            return new TrainingOutput(proposals, objectnessLoss, boxLoss);
        }
    }

    private static NDList repeat(NDArray a, int times) {
        NDList out = new NDList();
        for (int i = 0; i < times; i++) {
            out.add(a);
        }
        return out;
    }

    /** Modules of the detection model run through {@link #propose}; this forward is the head alone. */
    @Override
    public NDList forward(ForwardContext ctx, NDList features) {
        return head.call(ctx, features);
    }
}
