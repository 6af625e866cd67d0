package org.fx4j.nn;

/** Float constants as their authors meant them. */
final class Floats {

    private Floats() {}

    /**
     * Returns the double a float constant was written as: its shortest decimal ({@code 1e-3f} gives
     * 0.001, not 0.0010000000474974513), so that float-typed constructor arguments reach libtorch as
     * PyTorch's double constants do.
     *
     * @param value the float
     * @return the double of the float's shortest decimal representation
     */
    static double asWritten(float value) {
        return Double.parseDouble(Float.toString(value));
    }
}
