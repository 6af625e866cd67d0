package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.ReLU6}: {@code min(max(x, 0), 6)}. */
public final class ReLU6 extends LeafModule {

    /** Creates the activation. */
    public ReLU6() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.clip(0, 6);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ReLU6()";
    }
}
