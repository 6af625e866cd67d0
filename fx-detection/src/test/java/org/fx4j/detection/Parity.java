package org.fx4j.detection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;

/** Element-wise comparison of an fx4j array with torchvision's, reporting the worst relative error. */
public final class Parity {

    private Parity() {}

    /**
     * Asserts {@code |a - b| <= rel * max|b|} everywhere and prints the worst error.
     *
     * @param suite the printed line's prefix ({@code maskrcnn parity}, {@code ops parity})
     * @param what the stage, for messages
     * @param actual fx4j's
     * @param expected torchvision's
     * @param rel relative bound (to the largest reference value)
     * @return the worst |diff| / max|ref|
     */
    public static double assertClose(String suite, String what, NDArray actual, NDArray expected, double rel) {
        assertEquals(expected.getShape(), actual.getShape(), what + ": shape");
        double[] a = actual.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        double[] b = expected.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).toDoubleArray();
        double max = 1e-300;
        for (double v : b) {
            max = Math.max(max, Math.abs(v));
        }
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            assertTrue(d <= rel * max, what + "[" + i + "]: " + a[i] + " vs torchvision " + b[i] + " (max " + max
                    + ")");
            worst = Math.max(worst, d / max);
        }
        System.out.printf("%s %s: %d values, worst |diff|/max|ref| %.1e%n", suite, what, a.length, worst);
        return worst;
    }
}
