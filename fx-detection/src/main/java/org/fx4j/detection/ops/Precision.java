package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Rounds Java doubles to the precision of an array's type, so float32 arithmetic is reproduced step by step. */
final class Precision {

    private final boolean single;

    private Precision(boolean single) {
        this.single = single;
    }

    /**
     * Returns the precision of an array: float for float32 (and narrower), double for float64.
     *
     * @param array the array
     * @return its precision
     */
    static Precision of(NDArray array) {
        return new Precision(array.getDataType() != DataType.FLOAT64);
    }

    /**
     * Returns the precision of a data type.
     *
     * @param type the type
     * @return its precision
     */
    static Precision of(DataType type) {
        return new Precision(type != DataType.FLOAT64);
    }

    /**
     * Rounds one operation's exact double result as the array's type would (a double holds the
     * exact float result of +, -, *, / of two floats rounded once, so this equals float arithmetic).
     *
     * @param v the value
     * @return v rounded to float when the precision is single
     */
    double r(double v) {
        return single ? (float) v : v;
    }

    boolean isSingle() {
        return single;
    }

    /**
     * Reads an array's values exactly as doubles.
     *
     * @param array a floating array
     * @return its values
     */
    static double[] values(NDArray array) {
        if (array.getDataType() == DataType.FLOAT64) {
            return array.toDoubleArray();
        }
        float[] f = array.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
