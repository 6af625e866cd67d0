package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Identity}: returns its input (the same array). */
public final class Identity extends LeafModule {

    /** Creates the identity. */
    public Identity() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Identity()";
    }
}
