package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;

/** Access to PyTorch-engine arrays for the libtorch operators DJL's generic API does not expose. */
final class PtArrays {

    private PtArrays() {}

    static PtNDArray pt(NDArray array, String op) {
        if (array instanceof PtNDArray) {
            return (PtNDArray) array;
        }
        throw new IllegalArgumentException(
                op + " needs an array of DJL's PyTorch engine, got " + array.getClass().getName()
                        + " (engine " + array.getManager().getEngine().getEngineName()
                        + "); create inputs with a PyTorch NDManager");
    }
}
