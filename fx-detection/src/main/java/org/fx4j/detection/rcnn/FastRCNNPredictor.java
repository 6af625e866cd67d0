package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code FastRCNNPredictor}: {@code cls_score} (one logit per class, background
 * included) and {@code bbox_pred} (four deltas per class).
 */
public final class FastRCNNPredictor extends Module {

    private final Linear clsScore;
    private final Linear bboxPred;
    private final int numClasses;

    /**
     * Creates the predictor.
     *
     * @param inChannels the box head's output size
     * @param numClasses classes including the background
     */
    public FastRCNNPredictor(int inChannels, int numClasses) {
        if (numClasses < 2) {
            throw new IllegalArgumentException("num_classes counts the background, so it must be at least 2, got "
                    + numClasses);
        }
        clsScore = register("cls_score", new Linear(inChannels, numClasses));
        bboxPred = register("bbox_pred", new Linear(inChannels, numClasses * 4));
        this.numClasses = numClasses;
    }

    /**
     * Returns the number of classes, background included.
     *
     * @return the classes
     */
    public int numClasses() {
        return numClasses;
    }

    /**
     * Predicts class logits [K, classes] then box deltas [K, 4 x classes].
     *
     * @param ctx the context
     * @param inputs the box features [K, in] (or [K, in, 1, 1])
     * @return logits, deltas
     */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        NDArray x = inputs.singletonOrThrow();
        if (x.getShape().dimension() == 4) {
            if (x.getShape().get(2) != 1 || x.getShape().get(3) != 1) {
                throw new IllegalArgumentException("x has the wrong shape, expecting the last two dimensions to be"
                        + " [1,1] instead of " + x.getShape().slice(2));
            }
        }
        NDArray flat = F.flatten(x, 1);
        return new NDList(clsScore.call(ctx, flat), bboxPred.call(ctx, flat));
    }
}
