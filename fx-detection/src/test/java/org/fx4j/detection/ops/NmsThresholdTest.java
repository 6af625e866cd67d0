package org.fx4j.detection.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The float kernel compares float IoUs with a double threshold in float: exactly as in double. */
class NmsThresholdTest {

    @Test
    void floatComparisonEqualsDoubleComparison() {
        Random random = new Random(3);
        double[] special = {0.7, 0.3, 0.5, 0.0, -0.0, 1.0, 0.1, 1e-40, -1e-40, 1e300, -1e300, Double.MIN_VALUE,
            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, (double) Math.nextUp(0.7f),
            (double) 0.7f, Math.nextUp((double) 0.7f), Math.nextDown((double) 0.7f)};
        for (int i = 0; i < 200_000; i++) {
            double t = i < special.length ? special[i] : random.nextDouble() * (random.nextBoolean() ? 1 : 1e-38);
            float threshold = Nms.floatBelowOrAt(t);
            float near = (float) t;
            float[] candidates = {near, Math.nextUp(near), Math.nextDown(near), 0f, -0f, 1f, Float.NaN,
                Float.POSITIVE_INFINITY, random.nextFloat()};
            for (float f : candidates) {
                assertEquals(f > t, f > threshold, "iou " + f + " vs threshold " + t);
            }
        }
    }
}
