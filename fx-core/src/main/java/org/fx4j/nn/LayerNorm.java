package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * {@code torch.nn.LayerNorm} over the last dimension, with an elementwise {@code weight} (ones) and
 * {@code bias} (zeros) of that size. {@code eps} is a double, as PyTorch's, and reaches libtorch as
 * such (the float constructor takes the float's shortest decimal: {@code 1e-6f} means 1e-6).
 */
public final class LayerNorm extends LeafModule {

    private final int size;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates {@code LayerNorm(size, eps=1e-5)}.
     *
     * @param size the size of the last dimension
     */
    public LayerNorm(int size) {
        this(size, 1e-5);
    }

    /**
     * Creates {@code LayerNorm(size, eps)}.
     *
     * @param size the size of the last dimension
     * @param eps the value added to the variance
     */
    public LayerNorm(int size, float eps) {
        this(size, Floats.asWritten(eps));
    }

    /**
     * Creates {@code LayerNorm(size, eps)}.
     *
     * @param size the size of the last dimension
     * @param eps the value added to the variance
     */
    public LayerNorm(int size, double eps) {
        if (size <= 0) {
            throw new IllegalArgumentException("LayerNorm needs a positive size, got " + size);
        }
        this.size = size;
        this.eps = eps;
        weight = registerParameter("weight", new Shape(size), Init.constant(1f));
        bias = registerParameter("bias", new Shape(size), Init.constant(0f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return F.layerNorm(x, size, ctx.value(weight, x.getDevice()), ctx.value(bias, x.getDevice()), eps);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "LayerNorm((" + size + ",), eps=" + eps + ", elementwise_affine=True)";
    }
}
