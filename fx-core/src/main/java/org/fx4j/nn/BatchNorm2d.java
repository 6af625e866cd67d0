package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;

/**
 * {@code torch.nn.BatchNorm2d} with PyTorch's parameters ({@code weight}, {@code bias}) and buffers
 * ({@code running_mean}, {@code running_var}, {@code num_batches_tracked}). In training mode it
 * normalises with batch statistics and updates the running ones with PyTorch's {@code momentum}
 * (weight of the new batch, default 0.1); in evaluation mode it uses the running statistics.
 *
 * <p>{@code eps} and {@code momentum} are doubles, as PyTorch's (Python floats), and reach libtorch as
 * such: float constants would be off by up to 3e-8 relatively ({@code 0.1f} is 0.10000000149...),
 * which float64 models show in their outputs and running statistics. The float constructor takes
 * the float's shortest decimal ({@code 1e-3f} means 0.001), the constant as written.
 */
public final class BatchNorm2d extends LeafModule {

    private final int numFeatures;
    private final double eps;
    private final double momentum;
    private final Parameter weight;
    private final Parameter bias;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final Parameter numBatchesTracked;

    /**
     * Creates {@code BatchNorm2d(numFeatures)} with {@code eps=1e-5, momentum=0.1}.
     *
     * @param numFeatures the number of channels
     */
    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1);
    }

    /**
     * Creates {@code BatchNorm2d(numFeatures, eps, momentum)}.
     *
     * @param numFeatures the number of channels
     * @param eps added to the variance
     * @param momentum PyTorch's momentum: the weight of the current batch in the running stats
     */
    public BatchNorm2d(int numFeatures, float eps, float momentum) {
        this(numFeatures, Floats.asWritten(eps), Floats.asWritten(momentum));
    }

    /**
     * Creates {@code BatchNorm2d(numFeatures, eps, momentum)}.
     *
     * @param numFeatures the number of channels
     * @param eps added to the variance
     * @param momentum PyTorch's momentum: the weight of the current batch in the running stats
     */
    public BatchNorm2d(int numFeatures, double eps, double momentum) {
        if (numFeatures <= 0) {
            throw new IllegalArgumentException("BatchNorm2d needs numFeatures > 0, got " + numFeatures);
        }
        if (!(momentum >= 0 && momentum <= 1) || !(eps > 0)) {
            throw new IllegalArgumentException(
                    "BatchNorm2d needs 0 <= momentum <= 1 and eps > 0, got momentum=" + momentum + ", eps=" + eps);
        }
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        Shape c = new Shape(numFeatures);
        weight = registerParameter("weight", c, Init.constant(1f));
        bias = registerParameter("bias", c, Init.constant(0f));
        runningMean = registerBuffer("running_mean", c, Init.constant(0f));
        runningVar = registerBuffer("running_var", c, Init.constant(1f));
        numBatchesTracked = registerBuffer("num_batches_tracked", new Shape(), Init.int64Zeros());
    }

    /**
     * Returns the scale parameter.
     *
     * @return {@code weight}
     */
    public Parameter getWeight() {
        return weight;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != numFeatures) {
            throw new IllegalArgumentException(
                    "BatchNorm2d(" + numFeatures + ") expects input of shape [N, " + numFeatures + ", H, W], got " + s);
        }
        boolean training = ctx.isTraining();
        // libtorch's batch_norm itself: DJL's NDArrayEx.batchNorm takes float momentum and eps (and
        // computes 1 - momentum in float), too coarse for float64 models.
        NDArray out = JniUtils.batchNorm(
                PtArrays.pt(x, "batch_norm"),
                PtArrays.pt(ctx.value(runningMean, x.getDevice()), "batch_norm"),
                PtArrays.pt(ctx.value(runningVar, x.getDevice()), "batch_norm"),
                PtArrays.pt(ctx.value(weight, x.getDevice()), "batch_norm"),
                PtArrays.pt(ctx.value(bias, x.getDevice()), "batch_norm"),
                training,
                momentum,
                eps);
        if (training) {
            numBatchesTracked.getArray().addi(1);
            Module.weightsChanged(); // running statistics updated in place
        }
        return out;
    }

    int numFeatures() {
        return numFeatures;
    }

    /**
     * The per-channel affine map of evaluation mode, {@code scale = weight / sqrt(running_var + eps)},
     * {@code shift = bias - running_mean * scale}, for {@link ConvNormFolding}.
     *
     * @return scale and shift (new arrays the caller closes), or null in training mode
     */
    NDArray[] evalScaleShift(ForwardContext ctx, ai.djl.Device device) {
        if (ctx.isTraining()) {
            return null;
        }
        return affine(ctx.value(weight, device), ctx.value(bias, device), ctx.value(runningMean, device),
                ctx.value(runningVar, device), eps);
    }

    /** The weight, bias, running mean and variance values in evaluation mode; null while training. */
    NDArray[] evalValues(ForwardContext ctx, ai.djl.Device device) {
        if (ctx.isTraining()) {
            return null;
        }
        return new NDArray[] {ctx.value(weight, device), ctx.value(bias, device), ctx.value(runningMean, device),
            ctx.value(runningVar, device)};
    }

    /** scale = w / sqrt(rv + eps), shift = b - rm * scale; intermediates closed, the two results returned. */
    static NDArray[] affine(NDArray w, NDArray b, NDArray rm, NDArray rv, double eps) {
        try (NDArray std = rv.add(eps);
                NDArray root = std.sqrt()) {
            NDArray scale = w.div(root);
            try (NDArray product = rm.mul(scale)) {
                return new NDArray[] {scale, b.sub(product)};
            } catch (RuntimeException e) {
                scale.close();
                throw e;
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "BatchNorm2d(" + numFeatures + ", eps=" + eps + ", momentum=" + momentum + ")";
    }
}
