package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/** torchvision's {@code ops.misc.Permute}: reorders dimensions. A torchvision op, hence a leaf. */
public final class Permute extends LeafModule {

    private final int[] dims;

    /**
     * Creates the layer.
     *
     * @param dims the new order of the input's dimensions
     */
    public Permute(int... dims) {
        this.dims = dims.clone();
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return F.permute(x, dims);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Permute(dims=" + Arrays.toString(dims) + ")";
    }
}
