package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;

/** Element-wise comparison of an fx4j array with torchvision's, reporting the worst relative error. */
final class Parity {

    private Parity() {}

    /**
     * Asserts {@code |a - b| <= rel * max|b| + abs} everywhere and prints the worst error.
     *
     * @param what the stage, for messages
     * @param actual fx4j's
     * @param expected torchvision's
     * @param rel relative bound (to the largest reference value)
     * @return the worst |diff| / max|ref|
     */
    static double assertClose(String what, NDArray actual, NDArray expected, double rel) {
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
        System.out.printf("maskrcnn parity %s: %d values, worst |diff|/max|ref| %.1e%n", what, a.length, worst);
        return worst;
    }
}
