package org.fx4j.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Rounds Java doubles to the precision of an array's type, so float32 arithmetic is reproduced step by step. */
public final class Precision {

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
    public static Precision of(NDArray array) {
        return new Precision(array.getDataType() != DataType.FLOAT64);
    }

    /**
     * Returns the precision of a data type.
     *
     * @param type the type
     * @return its precision
     */
    public static Precision of(DataType type) {
        return new Precision(type != DataType.FLOAT64);
    }

    /**
     * Rounds one operation's exact double result as the array's type would (a double holds the
     * exact float result of +, -, *, / of two floats rounded once, so this equals float arithmetic).
     *
     * @param v the value
     * @return v rounded to float when the precision is single
     */
    public double r(double v) {
        return single ? (float) v : v;
    }

    /** @return true for float32 (and narrower) arithmetic */
    public boolean isSingle() {
        return single;
    }

    /**
     * Creates an array of the given floating type from Java doubles (each rounded to float for float32).
     *
     * @param manager owns the array
     * @param values the values
     * @param size how many of them
     * @param type FLOAT64, or FLOAT32
     * @return a 1-D array
     */
    public static NDArray create(ai.djl.ndarray.NDManager manager, double[] values, int size, DataType type) {
        if (type == DataType.FLOAT64) {
            return manager.create(size == values.length ? values : java.util.Arrays.copyOf(values, size));
        }
        float[] f = new float[size];
        for (int i = 0; i < size; i++) {
            f[i] = (float) values[i];
        }
        return manager.create(f);
    }

    /**
     * Reads an array's values exactly as doubles.
     *
     * @param array a floating array
     * @return its values
     */
    public static double[] values(NDArray array) {
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
