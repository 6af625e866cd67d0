package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Hardsigmoid}: {@code relu6(x + 3) / 6}. */
public final class Hardsigmoid extends LeafModule {

    /** Creates the activation. */
    public Hardsigmoid() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        try (NDArray shifted = x.add(3f);
                NDArray gate = shifted.clip(0, 6)) {
            return gate.div(6f);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Hardsigmoid()";
    }
}
