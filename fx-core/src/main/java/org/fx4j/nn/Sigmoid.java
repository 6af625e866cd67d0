package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Sigmoid}: {@code 1 / (1 + exp(-x))}. */
public final class Sigmoid extends LeafModule {

    /** Creates the activation. */
    public Sigmoid() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.getNDArrayInternal().sigmoid();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Sigmoid()";
    }
}
