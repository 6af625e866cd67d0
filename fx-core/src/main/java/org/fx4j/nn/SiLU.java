package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.SiLU} (swish): {@code x * sigmoid(x)}. */
public final class SiLU extends LeafModule {

    /** Creates the activation. */
    public SiLU() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        try (NDArray gate = x.getNDArrayInternal().sigmoid()) {
            return x.mul(gate);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "SiLU()";
    }
}
