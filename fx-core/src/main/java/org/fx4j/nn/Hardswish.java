package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Hardswish}: {@code x * relu6(x + 3) / 6}. */
public final class Hardswish extends LeafModule {

    /** Creates the activation. */
    public Hardswish() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        try (NDArray shifted = x.add(3f);
                NDArray gate = shifted.clip(0, 6);
                NDArray product = x.mul(gate)) {
            return Scalars.div(product, 6f);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Hardswish()";
    }
}
