package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.GELU} with PyTorch's default exact form {@code x * Phi(x)} (erf, not tanh). */
public final class GELU extends LeafModule {

    /** Creates the activation. */
    public GELU() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.getNDArrayInternal().gelu();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GELU(approximate='none')";
    }
}
