package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import org.fx4j.detection.ops.TorchOwned;
import org.fx4j.nn.Scalars;

/**
 * The loss functions of torchvision's detection heads, on DJL arrays (differentiable through
 * libtorch's autograd): {@code smooth_l1_loss(reduction="sum")}, {@code
 * binary_cross_entropy_with_logits} (mean) and {@code cross_entropy} (mean over integer labels).
 */
public final class DetectionLosses {

    private DetectionLosses() {}

    /**
     * {@code F.smooth_l1_loss(input, target, beta, reduction="sum")}: {@code 0.5 d^2 / beta} where
     * {@code |d| < beta}, {@code |d| - beta / 2} elsewhere, summed.
     *
     * @param input predictions
     * @param target targets of the same shape
     * @param beta the switch point (torchvision's heads use 1/9)
     * @return the scalar sum
     */
    public static NDArray smoothL1Sum(NDArray input, NDArray target, double beta) {
        NDArray d = input.sub(target).abs();
        NDArray quadratic = Scalars.mul(d.mul(d), 0.5 / beta);
        NDArray linear = d.sub(0.5 * beta);
        return NDArrays.where(d.lt(beta), quadratic, linear).sum();
    }

    /**
     * {@code F.binary_cross_entropy_with_logits(x, y)} averaged: {@code max(x, 0) - x y + log(1 +
     * exp(-|x|))}, the stable form.
     *
     * @param logits x
     * @param targets y in [0, 1], same shape
     * @return the scalar mean
     */
    public static NDArray binaryCrossEntropyWithLogits(NDArray logits, NDArray targets) {
        NDArray y = targets.toType(logits.getDataType(), true); // a copy libtorch owns: the backward pass reads it
        NDArray positivePart = logits.getNDArrayInternal().relu();
        NDArray softplus = logits.abs().neg().exp().add(1).log();
        return positivePart.sub(logits.mul(y)).add(softplus).mean();
    }

    /**
     * {@code F.cross_entropy(logits, labels)}: the mean over rows of {@code -log_softmax(logits)[label]}.
     *
     * @param logits [N, C]
     * @param labels [N] int64 in [0, C)
     * @return the scalar mean
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray logProbabilities = logits.logSoftmax(1);
        NDArray picked = logProbabilities.gather(TorchOwned.forAutograd(labels).reshape(-1, 1), 1);
        return picked.mean().neg();
    }
}
