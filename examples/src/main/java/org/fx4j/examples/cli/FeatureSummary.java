package org.fx4j.examples.cli;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/** One line per extracted output: name, shape, mean and standard deviation. */
final class FeatureSummary {

    private FeatureSummary() {}

    static String line(String name, NDArray array, int nameWidth) {
        float[] v = array.toFloatArray();
        double sum = 0;
        for (float f : v) {
            sum += f;
        }
        double mean = sum / v.length;
        double sq = 0;
        for (float f : v) {
            sq += (f - mean) * (f - mean);
        }
        double std = v.length > 1 ? Math.sqrt(sq / (v.length - 1)) : 0;
        return String.format(
                Locale.ROOT, "%-" + nameWidth + "s  shape=%-20s  mean=%10.5f  std=%10.5f", name, array.getShape(), mean, std);
    }
}
