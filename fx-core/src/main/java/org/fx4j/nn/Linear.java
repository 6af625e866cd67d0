package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** {@code torch.nn.Linear}: {@code y = x W^T + b} with {@code weight [out, in]} and {@code bias [out]}. */
public final class Linear extends LeafModule {

    private final int inFeatures;
    private final int outFeatures;
    private final Parameter weight;
    private final Parameter bias;

    /**
     * Creates {@code Linear(in, out)} with a bias.
     *
     * @param inFeatures input features
     * @param outFeatures output features
     */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    /**
     * Creates {@code Linear(in, out, bias)}.
     *
     * @param inFeatures input features
     * @param outFeatures output features
     * @param withBias whether a bias is learned
     */
    public Linear(int inFeatures, int outFeatures, boolean withBias) {
        if (inFeatures <= 0 || outFeatures <= 0) {
            throw new IllegalArgumentException(
                    "Linear needs positive feature counts, got in=" + inFeatures + ", out=" + outFeatures);
        }
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        weight = registerParameter("weight", new Shape(outFeatures, inFeatures), Init.kaimingUniform(Math.sqrt(5)));
        bias = withBias ? registerParameter("bias", new Shape(outFeatures), Init.uniformBias(inFeatures)) : null;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() < 1 || s.get(s.dimension() - 1) != inFeatures) {
            throw new IllegalArgumentException(
                    "Linear(" + inFeatures + ", " + outFeatures + ") expects input of shape [..., " + inFeatures
                            + "], got " + s);
        }
        NDArray w = ctx.value(weight, x.getDevice());
        NDArray b = bias == null ? null : ctx.value(bias, x.getDevice());
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Linear(in_features=" + inFeatures + ", out_features=" + outFeatures + ", bias=" + (bias != null) + ")";
    }
}
