package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Scalars for arithmetic that autograd may differentiate. DJL's PyTorch engine turns {@code
 * x.mul(0.5)} into a product with a 0-dim tensor made from a Java buffer and closed right after;
 * libtorch's autograd keeps that tensor for the backward pass (a product's gradient is the other
 * factor), which then reads released memory: the gradient of {@code sum(x * 0.5)} came back as zeros
 * here. {@link #of} makes the scalar in libtorch's own memory ({@code torch.full}), in the array's
 * type and device, so arithmetic with it is what PyTorch computes for {@code x * 0.5}.
 */
public final class Scalars {

    private Scalars() {}

    /**
     * A 0-dim array holding {@code value}, owned by libtorch, of {@code like}'s type and device.
     *
     * @param like the array the scalar will combine with (floating)
     * @param value the value
     * @return the scalar, in {@code like}'s manager
     */
    public static NDArray of(NDArray like, Number value) {
        return JniUtils.full((PtNDManager) PtArrays.pt(like, "a scalar operation").getManager(), new Shape(),
                value.doubleValue(), like.getDataType(), like.getDevice(), SparseFormat.DENSE);
    }

    /**
     * {@code x * value}, differentiable with respect to {@code x}.
     *
     * @param x a floating array
     * @param value the factor
     * @return the product
     */
    public static NDArray mul(NDArray x, Number value) {
        if (!x.getDataType().isFloating()) {
            return x.mul(value);
        }
        try (NDArray s = of(x, value)) {
            return x.mul(s);
        }
    }

    /**
     * {@code x / value}, differentiable with respect to {@code x}.
     *
     * @param x a floating array
     * @param value the divisor
     * @return the quotient
     */
    public static NDArray div(NDArray x, Number value) {
        if (!x.getDataType().isFloating()) {
            return x.div(value);
        }
        try (NDArray s = of(x, value)) {
            return x.div(s);
        }
    }
}
