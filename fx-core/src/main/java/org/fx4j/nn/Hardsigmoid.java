package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/**
 * {@code torch.nn.Hardsigmoid}: {@code relu6(x + 3) / 6}, with libtorch's gradient: its
 * {@code hardsigmoid_backward} multiplies by the float constant {@code 1.0f / 6.0f} whatever the
 * type (0.1666666716..., 3e-8 above 1/6), and so does this, so that float64 gradients match
 * PyTorch's (the value is {@code relu6(x + 3) / 6} exactly, as in PyTorch).
 */
public final class Hardsigmoid extends LeafModule {

    /** libtorch's constant: {@code const scalar_t one_sixth(1.0f / 6.0f)} in hardsigmoid_backward. */
    private static final double TORCH_ONE_SIXTH = 1.0f / 6.0f;

    /** Creates the activation. */
    public Hardsigmoid() {}

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        // value: path + (exact - path), where exact - path is exact (Sterbenz: the two are within a
        // factor of 2, or path is 0), so the sum is exact = relu6(x + 3) / 6 bit for bit; gradient:
        // through path only, libtorch's float 1/6 strictly inside (-3, 3) and 0 elsewhere, as its
        // hardsigmoid_backward. (Cheap: the gate of a squeeze-excitation block is [N, C, 1, 1].)
        try (NDArray shifted = x.add(3f);
                NDArray gate = shifted.clip(0, 6);
                NDArray above = x.gt(-3f);
                NDArray below = x.lt(3f);
                NDArray inside = above.logicalAnd(below);
                NDArray mask = inside.toType(x.getDataType(), false);
                NDArray masked = shifted.mul(mask);
                NDArray path = Scalars.mul(masked, TORCH_ONE_SIXTH);
                NDArray exact = Scalars.div(gate, 6f);
                NDArray correction = exact.sub(path);
                NDArray frozen = correction.stopGradient()) {
            return path.add(frozen);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Hardsigmoid()";
    }
}
