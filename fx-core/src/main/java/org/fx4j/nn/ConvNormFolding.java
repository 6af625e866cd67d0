package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Inference-time folding of a batch norm into the convolution before it: {@code bn(conv(x))} as one
 * convolution with weight {@code w * scale} and bias {@code b * scale + shift}, where {@code scale =
 * gamma / sqrt(running_var + eps)} and {@code shift = beta - running_mean * scale}. The folded weights
 * are computed from the modules' current parameters at every call (nothing is cached, so loaded or
 * trained weights are always seen) and the modules' parameters are not modified; it saves the norm's
 * pass over the activations. It applies only without gradients and with the norm in evaluation mode
 * ({@link FrozenBatchNorm2d} always is), with input, weights and norm parameters of one type;
 * otherwise {@link #run} returns null and the caller runs both modules as they are.
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
     * Runs {@code norm(conv(x))} as one folded convolution, if it applies now.
     *
     * @param ctx the caller's context (each module's mode and parameter values are read through it)
     * @param conv a {@link Conv2d}
     * @param norm its {@link BatchNorm2d} or {@link FrozenBatchNorm2d}
     * @param x the convolution's input
     * @return the norm's output, or null when gradients are recorded, the norm is in training mode or
     *     the types differ
     */
    public static NDArray run(ForwardContext ctx, Block conv, Block norm, NDArray x) {
        if (JniUtils.isGradMode() || !foldable(conv, norm)) {
            return null;
        }
        ForwardContext convCtx = ctx.enter(conv);
        ForwardContext normCtx = ctx.enter(norm);
        Conv2d c = (Conv2d) conv;
        c.checkInput(x);
        NDArray[] scaleShift = norm instanceof BatchNorm2d
                ? ((BatchNorm2d) norm).evalScaleShift(normCtx, x.getDevice())
                : ((FrozenBatchNorm2d) norm).scaleShift(normCtx, x.getDevice());
        if (scaleShift == null) {
            return null;
        }
        NDArray convWeight = c.weightValue(convCtx, x.getDevice());
        if (scaleShift[0].getDataType() != convWeight.getDataType() || x.getDataType() != convWeight.getDataType()) {
            // Mixed types run unfolded, where each module's own type rules apply.
            scaleShift[0].close();
            scaleShift[1].close();
            return null;
        }
        // Arrays made from parameters live in the parameters' manager: every one is closed here.
        try (NDArray scale = scaleShift[0];
                NDArray shift = scaleShift[1];
                NDArray scale4 = scale.reshape(new Shape(-1, 1, 1, 1));
                NDArray weight = convWeight.mul(scale4);
                NDArray scaledBias = c.hasBias() ? c.biasValue(convCtx, x.getDevice()).mul(scale) : null;
                NDArray bias = scaledBias == null ? shift.duplicate() : scaledBias.add(shift)) {
            return c.convolve(x, weight, bias);
        }
    }
}
