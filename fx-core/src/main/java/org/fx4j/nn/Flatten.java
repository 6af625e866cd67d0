package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/** {@code torch.nn.Flatten(start_dim=1, end_dim=-1)}. */
public final class Flatten extends LeafModule {

    private final int startDim;
    private final int endDim;

    /** Creates {@code Flatten()}: flattens all dimensions but the batch. */
    public Flatten() {
        this(1, -1);
    }

    /**
     * Creates {@code Flatten(startDim, endDim)}.
     *
     * @param startDim first dimension to flatten
     * @param endDim last dimension to flatten (negative counts from the end)
     */
    public Flatten(int startDim, int endDim) {
        this.startDim = startDim;
        this.endDim = endDim;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.flatten(startDim, endDim);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Flatten(start_dim=" + startDim + ", end_dim=" + endDim + ")";
    }
}
