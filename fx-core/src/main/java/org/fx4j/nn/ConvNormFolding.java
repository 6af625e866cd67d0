package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Inference-time folding of a batch norm into the convolution before it: {@code bn(conv(x))} as one
 * convolution with weight {@code w * scale} and bias {@code b * scale + shift}, where {@code scale =
 * gamma / sqrt(running_var + eps)} and {@code shift = beta - running_mean * scale}. {@link #run}
 * folds from the modules' current parameters for one call; {@link #fold} makes the weights for a
 * caller that caches them (the graph executor, keyed by {@link #sources} and {@link
 * Module#weightsGeneration()}). The modules' parameters are never modified; folding saves the norm's
 * pass over the activations. It applies only without gradients and with the norm in evaluation mode
 * ({@link FrozenBatchNorm2d} always is), with input, weights and norm parameters of one type;
 * otherwise {@link #run} and {@link #fold} return null and the caller runs both modules as they are.
 */
public final class ConvNormFolding {

    private ConvNormFolding() {}

    /**
     * Whether {@code norm} directly after {@code conv} can be folded into it: a {@link Conv2d} followed
     * by a {@link BatchNorm2d} or {@link FrozenBatchNorm2d} over its output channels.
     *
     * @param conv the first module
     * @param norm the module reading only its output
     * @return true if {@link #run} may fold them
     */
    public static boolean foldable(Block conv, Block norm) {
        if (!(conv instanceof Conv2d)) {
            return false;
        }
        int channels = ((Conv2d) conv).getOutChannels();
        if (norm instanceof BatchNorm2d) {
            return ((BatchNorm2d) norm).numFeatures() == channels;
        }
        return norm instanceof FrozenBatchNorm2d && ((FrozenBatchNorm2d) norm).numFeatures() == channels;
    }

    /**
     * Runs {@code norm(conv(x))} as one folded convolution, if it applies now (the folded weights are
     * computed for this call and closed after it).
     *
     * @param ctx the caller's context (each module's mode and parameter values are read through it)
     * @param conv a {@link Conv2d}
     * @param norm its {@link BatchNorm2d} or {@link FrozenBatchNorm2d}
     * @param x the convolution's input
     * @return the norm's output, or null when gradients are recorded, the norm is in training mode or
     *     the types differ
     */
    public static NDArray run(ForwardContext ctx, Block conv, Block norm, NDArray x) {
        if (!foldable(conv, norm)) {
            return null;
        }
        ((Conv2d) conv).checkInput(x);
        NDArray[] folded = fold(ctx, conv, norm, x.getDevice());
        if (folded == null) {
            return null;
        }
        if (folded[0].getDataType() != x.getDataType()) {
            folded[0].close();
            folded[1].close();
            return null;
        }
        try (NDArray weight = folded[0];
                NDArray bias = folded[1]) {
            return convolve(conv, x, weight, bias);
        }
    }

    /**
     * The arrays a fold reads now, in a fixed order: the convolution's weight and bias (null without
     * one), the norm's weight, bias, running mean and running variance. A cached fold stays valid
     * while these are the same arrays (and nothing changed them in place).
     *
     * @param ctx the caller's context
     * @param conv a {@link Conv2d}
     * @param norm its {@link BatchNorm2d} or {@link FrozenBatchNorm2d}
     * @param device the device the values are read on
     * @return the arrays, or null when the pair is not foldable or the norm trains in this pass
     */
    public static NDArray[] sources(ForwardContext ctx, Block conv, Block norm, ai.djl.Device device) {
        if (!foldable(conv, norm)) {
            return null;
        }
        ForwardContext normCtx = ctx.enter(norm);
        NDArray[] n = norm instanceof BatchNorm2d ? ((BatchNorm2d) norm).evalValues(normCtx, device)
                : ((FrozenBatchNorm2d) norm).values(normCtx, device);
        if (n == null) {
            return null;
        }
        NDArray[] wb = values(ctx, conv, device);
        return new NDArray[] {wb[0], wb[1], n[0], n[1], n[2], n[3]};
    }

    /**
     * Computes the folded weight and bias of a pair from the current parameter values.
     *
     * @param ctx the caller's context
     * @param conv a {@link Conv2d}
     * @param norm its {@link BatchNorm2d} or {@link FrozenBatchNorm2d}
     * @param device where the values are read
     * @return {weight, bias}, new arrays in the parameters' manager that the caller closes; null when
     *     gradients are recorded, the pair is not foldable, the norm trains, or the norm's type is not
     *     the convolution's
     */
    public static NDArray[] fold(ForwardContext ctx, Block conv, Block norm, ai.djl.Device device) {
        if (JniUtils.isGradMode() || !foldable(conv, norm)) {
            return null;
        }
        ForwardContext convCtx = ctx.enter(conv);
        ForwardContext normCtx = ctx.enter(norm);
        Conv2d c = (Conv2d) conv;
        NDArray[] scaleShift = norm instanceof BatchNorm2d ? ((BatchNorm2d) norm).evalScaleShift(normCtx, device)
                : ((FrozenBatchNorm2d) norm).scaleShift(normCtx, device);
        if (scaleShift == null) {
            return null;
        }
        NDArray convWeight = c.weightValue(convCtx, device);
        if (scaleShift[0].getDataType() != convWeight.getDataType()) {
            // Mixed types run unfolded, where each module's own type rules apply.
            scaleShift[0].close();
            scaleShift[1].close();
            return null;
        }
        // Arrays made from parameters live in the parameters' manager: every intermediate is closed here.
        try (NDArray scale = scaleShift[0];
                NDArray shift = scaleShift[1];
                NDArray scale4 = scale.reshape(new Shape(-1, 1, 1, 1));
                NDArray scaledBias = c.hasBias() ? c.biasValue(convCtx, device).mul(scale) : null) {
            NDArray weight = convWeight.mul(scale4);
            try {
                return new NDArray[] {weight, scaledBias == null ? shift.duplicate() : scaledBias.add(shift)};
            } catch (RuntimeException e) {
                weight.close();
                throw e;
            }
        }
    }

    /**
     * The current weight and bias of a convolution that runs without a norm folded into it.
     *
     * @param ctx the caller's context
     * @param conv a {@link Conv2d}
     * @param device where the values are read
     * @return {weight, bias or null}: the parameters' values (not copies; the caller must not close them)
     */
    public static NDArray[] values(ForwardContext ctx, Block conv, ai.djl.Device device) {
        Conv2d c = (Conv2d) conv;
        ForwardContext convCtx = ctx.enter(conv);
        return new NDArray[] {c.weightValue(convCtx, device), c.hasBias() ? c.biasValue(convCtx, device) : null};
    }

    /**
     * Runs the convolution of a pair with folded weights.
     *
     * @param conv a {@link Conv2d}
     * @param x its input
     * @param weight the folded weight
     * @param bias the folded bias
     * @return the pair's output
     */
    public static NDArray convolve(Block conv, NDArray x, NDArray weight, NDArray bias) {
        Conv2d c = (Conv2d) conv;
        c.checkInput(x);
        return c.convolve(x, weight, bias);
    }
}
