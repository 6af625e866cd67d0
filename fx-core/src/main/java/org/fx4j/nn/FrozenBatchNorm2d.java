package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * torchvision's {@code FrozenBatchNorm2d}: batch normalisation with fixed statistics and affine
 * parameters, all four held as buffers ({@code weight}, {@code bias}, {@code running_mean},
 * {@code running_var}); computes {@code x * scale + shift} with {@code scale = weight *
 * rsqrt(running_var + eps)} and {@code shift = bias - running_mean * scale}, in both modes.
 */
public final class FrozenBatchNorm2d extends LeafModule {

    private final int numFeatures;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;

    /**
     * Creates {@code FrozenBatchNorm2d(numFeatures)} with {@code eps=1e-5}.
     *
     * @param numFeatures the number of channels
     */
    public FrozenBatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5);
    }

    /**
     * Creates {@code FrozenBatchNorm2d(numFeatures, eps)}, {@code eps} taken as the float's shortest
     * decimal ({@code 1e-5f} means 1e-5).
     *
     * @param numFeatures the number of channels
     * @param eps added to the variance
     */
    public FrozenBatchNorm2d(int numFeatures, float eps) {
        this(numFeatures, Floats.asWritten(eps));
    }

    /**
     * Creates {@code FrozenBatchNorm2d(numFeatures, eps)}; {@code eps} is a double, as torchvision's,
     * and is added as a double scalar (a float one would be off by up to 3e-8 relatively in float64
     * models).
     *
     * @param numFeatures the number of channels
     * @param eps added to the variance
     */
    public FrozenBatchNorm2d(int numFeatures, double eps) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException("FrozenBatchNorm2d needs numFeatures > 0, got " + numFeatures);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        Shape c = new Shape(numFeatures);
        weight = registerBuffer("weight", c, Init.constant(1f));
        bias = registerBuffer("bias", c, Init.constant(0f));
        runningMean = registerBuffer("running_mean", c, Init.constant(0f));
        runningVar = registerBuffer("running_var", c, Init.constant(1f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != numFeatures) {
            throw new IllegalArgumentException(
                    "FrozenBatchNorm2d(" + numFeatures + ") expects input of shape [N, " + numFeatures + ", H, W], got " + s);
        }
        Shape bcast = new Shape(1, numFeatures, 1, 1);
        NDArray[] scaleShift = scaleShift(ctx, x.getDevice());
        try (NDArray scale = scaleShift[0];
                NDArray shift = scaleShift[1];
                NDArray scale4 = scale.reshape(bcast);
                NDArray shift4 = shift.reshape(bcast);
                NDArray scaled = x.mul(scale4)) {
            return scaled.add(shift4);
        }
    }

    int numFeatures() {
        return numFeatures;
    }

    /**
     * The per-channel affine map, {@code scale = weight / sqrt(running_var + eps)}, {@code shift = bias -
     * running_mean * scale}, for the forward and {@link ConvNormFolding}.
     *
     * @return scale and shift, new arrays the caller closes
     */
    NDArray[] scaleShift(ForwardContext ctx, ai.djl.Device device) {
        return BatchNorm2d.affine(ctx.value(weight, device), ctx.value(bias, device), ctx.value(runningMean, device),
                ctx.value(runningVar, device), eps);
    }

    /** The weight, bias, running mean and variance values. */
    NDArray[] values(ForwardContext ctx, ai.djl.Device device) {
        return new NDArray[] {ctx.value(weight, device), ctx.value(bias, device), ctx.value(runningMean, device),
            ctx.value(runningVar, device)};
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FrozenBatchNorm2d(" + numFeatures + ", eps=" + eps + ")";
    }
}
