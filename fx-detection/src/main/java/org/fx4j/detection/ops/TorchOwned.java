package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Copies into libtorch's own memory. An array DJL's PyTorch engine creates from Java data shares the
 * Java buffer, which is released when the array is closed; libtorch's autograd keeps some inputs
 * (gather and index_select indices, a sparse product's matrix, a loss's targets) until the backward
 * pass, which would then read freed memory. Arrays from Java that such an op keeps go through {@link
 * #forAutograd} first.
 */
public final class TorchOwned {

    private TorchOwned() {}

    /**
     * Returns a copy owned by libtorch while gradients are recorded (the array itself otherwise).
     *
     * @param array an array, possibly made from Java data
     * @return an array safe to keep for the backward pass, in the same manager
     */
    public static NDArray forAutograd(NDArray array) {
        return JniUtils.isGradMode() ? array.duplicate() : array;
    }
}
