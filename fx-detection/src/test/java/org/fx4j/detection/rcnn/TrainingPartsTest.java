package org.fx4j.detection.rcnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The training pieces alone: matcher rules, sampler sizes and seeds, loss gradients where autograd has kinks. */
class TrainingPartsTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void matcherFollowsTorchvisionsRules() {
        // 2 ground truths x 5 predictions
        double[] q = {0.7, 0.5, 0.2, 0.9, 0.1,
                      0.7, 0.6, 0.25, 0.1, 0.1};
        Matcher plain = new Matcher(0.7, 0.3, false);
        // ties go to the first ground truth; >= high matches; [low, high) between; < low below
        assertArrayEquals(new long[] {0, -2, -1, 0, -1}, plain.match(q, 2, 5, false));
        // low-quality: prediction 1 attains gt 1's best among its own (0.7 is gt 1's max: predictions 0 and ...)
        Matcher lowQuality = new Matcher(0.7, 0.3, true);
        double[] q2 = {0.2, 0.5, 0.1,
                       0.1, 0.25, 0.25};
        // gt 0's best is prediction 1 (0.5), gt 1's best are predictions 1 and 2 (0.25, a tie): both matched
        // to their own best ground truth (prediction 1 -> gt 0, prediction 2 -> gt 1)
        assertArrayEquals(new long[] {-1, 0, 1}, lowQuality.match(q2, 2, 3, false));
        // float32 matrices compare with the thresholds rounded to float: 0.7f is not below (float) 0.7
        assertArrayEquals(new long[] {0}, plain.match(new double[] {0.7f}, 1, 1, true));
        assertArrayEquals(new long[] {-2}, plain.match(new double[] {0.7f}, 1, 1, false), "0.7f < 0.7 in double");
        assertThrows(IllegalArgumentException.class, () -> new Matcher(0.3, 0.7, false));
        NDArray empty = manager.zeros(new Shape(0, 4));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plain.match(empty)).getMessage()
                .contains("No ground-truth boxes"));
    }

    @Test
    void samplerTakesTheFractionAndIsReproducible() {
        long[] labels = new long[100];
        for (int i = 0; i < 100; i++) {
            labels[i] = i < 10 ? 1 : i < 20 ? -1 : 0; // 10 positives, 10 ignored, 80 negatives
        }
        boolean[][] s = new BalancedPositiveNegativeSampler(16, 0.25, new Random(1)).sample(labels);
        assertEquals(4, count(s[0]), "int(16 * 0.25) positives");
        assertEquals(12, count(s[1]), "the rest negatives");
        for (int i = 0; i < 100; i++) {
            assertTrue(!s[0][i] || labels[i] == 1);
            assertTrue(!s[1][i] || labels[i] == 0, "ignored and positive candidates are never negatives");
        }
        boolean[][] again = new BalancedPositiveNegativeSampler(16, 0.25, new Random(1)).sample(labels);
        assertArrayEquals(s[0], again[0], "same seed, same sample");
        assertArrayEquals(s[1], again[1]);
        boolean[][] few = new BalancedPositiveNegativeSampler(256, 0.5, new Random(2)).sample(labels);
        assertEquals(10, count(few[0]), "all 10 positives");
        assertEquals(80, count(few[1]), "all 80 negatives (246 asked)");
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    private interface Loss {
        NDArray apply(NDArray x);
    }

    private static double[] gradient(double[] values, Loss loss) {
        NDArray x = manager.create(values).toType(DataType.FLOAT64, true);
        x.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            collector.backward(loss.apply(x));
        }
        return x.getGradient().toDoubleArray();
    }

    @Test
    void lossGradientsAreTorchsIncludingAtTheKinks() {
        NDArray y = manager.create(new double[] {0, 1, 0.5});
        // d/dx mean BCE = (sigmoid(x) - y) / n, at x = 0 as well
        assertArrayEquals(new double[] {0.5 / 3, -0.5 / 3, 0},
                gradient(new double[] {0, 0, 0}, x -> DetectionLosses.binaryCrossEntropyWithLogits(x, y)), 1e-15);
        double bce = DetectionLosses.binaryCrossEntropyWithLogits(manager.create(new double[] {2, -3, 0}), y)
                .getDouble();
        double expected = (2 + Math.log1p(Math.exp(-2)) + 3 + Math.log1p(Math.exp(-3)) + Math.log(2)) / 3;
        assertEquals(expected, bce, 1e-15, "BCE value");
        // smooth L1 (beta 1/9): d/dx = d / beta inside, sign(d) outside
        NDArray target = manager.create(new double[] {0, 0, 0});
        assertArrayEquals(new double[] {-1, 0.05 * 9, 1}, gradient(new double[] {-1, 0.05, 2},
                x -> DetectionLosses.smoothL1Sum(x, target, 1.0 / 9)), 1e-12);
        // cross-entropy over two rows: softmax - one-hot, averaged
        NDArray labels = manager.create(new long[] {1, 0});
        double[] g = gradient(new double[] {0, 0, 1, 1}, x -> DetectionLosses.crossEntropy(x.reshape(2, 2), labels));
        assertArrayEquals(new double[] {0.25, -0.25, -0.25, 0.25}, g, 1e-15);
    }
}
