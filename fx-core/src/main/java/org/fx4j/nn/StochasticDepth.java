package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * torchvision's {@code ops.StochasticDepth}: in training mode drops whole residual branches with
 * probability {@code p}, per sample ({@code "row"}) or for the whole batch ({@code "batch"}), and
 * scales the survivors by {@code 1/(1-p)}; the identity in evaluation mode or when {@code p = 0}. A
 * torchvision op, hence a leaf.
 */
public final class StochasticDepth extends LeafModule {

    private volatile float p;
    private final String mode;

    /**
     * Creates the layer.
     *
     * @param p the drop probability in [0, 1]
     * @param mode {@code "row"} or {@code "batch"}
     */
    public StochasticDepth(float p, String mode) {
        if (!"row".equals(mode) && !"batch".equals(mode)) {
            throw new IllegalArgumentException("mode has to be either 'batch' or 'row', but got " + mode);
        }
        this.mode = mode;
        setProbability(p);
    }

    /**
     * Returns the drop probability.
     *
     * @return p
     */
    public float probability() {
        return p;
    }

    /**
     * Sets the drop probability, as assigning {@code stochastic_depth.p} in PyTorch ({@code 0} makes
     * training passes deterministic, for example to compare them with another implementation).
     *
     * @param p the drop probability in [0, 1]
     */
    public void setProbability(float p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("drop probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        float p = this.p;
        if (!ctx.isTraining() || p == 0f) {
            return x;
        }
        long[] dims = new long[x.getShape().dimension()];
        Arrays.fill(dims, 1L);
        if ("row".equals(mode)) {
            dims[0] = x.getShape().get(0);
        }
        float survival = 1f - p;
        try (NDArray uniform = x.getManager().randomUniform(0f, 1f, new Shape(dims), x.getDataType(), x.getDevice());
                NDArray keep = uniform.lt(survival);
                NDArray mask = keep.toType(x.getDataType(), false)) {
            if (survival > 0f) {
                mask.divi(survival);
            }
            return x.mul(mask);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "StochasticDepth(p=" + p + ", mode=" + mode + ")";
    }
}
