package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.ReLU}: {@code max(x, 0)}. */
public final class ReLU extends LeafModule {

    /** Creates the activation. */
    public ReLU() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.getNDArrayInternal().relu();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ReLU()";
    }
}
