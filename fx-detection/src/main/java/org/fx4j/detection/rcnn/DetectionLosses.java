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
     * {@code F.binary_cross_entropy_with_logits(x, y)} averaged, in torch's form {@code (1 - y) x + m
     * + log(exp(-m) + exp(-x - m))} with {@code m = max(-x, 0)}: stable, and its gradient is {@code
     * sigmoid(x) - y} everywhere, at {@code x = 0} too.
     *
     * @param logits x
     * @param targets y in [0, 1], same shape
     * @return the scalar mean
     */
    public static NDArray binaryCrossEntropyWithLogits(NDArray logits, NDArray targets) {
        // the backward pass reads y: a copy libtorch owns while gradients are recorded
        NDArray y = TorchOwned.forAutograd(targets.toType(logits.getDataType(), false));
        NDArray m = logits.neg().getNDArrayInternal().relu();
        NDArray logTerm = m.neg().exp().add(logits.neg().sub(m).exp()).log();
        return logits.sub(logits.mul(y)).add(m).add(logTerm).mean();
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
