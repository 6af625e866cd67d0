package org.fx4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Gradients through arithmetic with numbers: DJL's {@code x.mul(0.5)} keeps a Java-backed scalar that
 * is released before the backward pass reads it (its gradient came back as zeros); {@link Scalars}
 * and the ops built on it ({@code F.mul/div} with numbers, Hardswish, Hardsigmoid) give PyTorch's.
 * Each backward runs after Java-backed arrays were made and released, as in a real training step.
 */
class ScalarGradientTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private interface Op {
        NDArray apply(NDArray x);
    }

    private static double[] gradient(double[] values, Op op) {
        NDArray x = manager.create(values).toType(DataType.FLOAT64, true);
        x.setRequiresGradient(true);
        try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDArray loss = op.apply(x).sum();
            // Released Java buffers are freed once a collection has run (waited for through a sentinel) and
            // reused: the backward pass then reads these.
            awaitCollection();
            try (NDManager filler = manager.newSubManager()) {
                for (int i = 0; i < 2000; i++) {
                    filler.create(new double[] {1e30, -1e30, 12345});
                    filler.create(new float[] {1e30f, -1e30f, 12345f});
                }
                collector.backward(loss);
            }
        }
        return x.getGradient().toDoubleArray();
    }

    private static void awaitCollection() {
        java.lang.ref.WeakReference<Object> sentinel = new java.lang.ref.WeakReference<>(
                java.nio.ByteBuffer.allocateDirect(8));
        for (int i = 0; i < 200 && sentinel.get() != null; i++) {
            System.gc();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Test
    void productsAndQuotientsWithNumbersHaveTheirGradients() {
        double[] v = {-2, -0.5, 0.25, 3};
        assertArrayEquals(new double[] {0.5, 0.5, 0.5, 0.5}, gradient(v, x -> F.mul(x, 0.5)), 0, "d(x * 0.5)/dx");
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, gradient(v, x -> F.div(x, 4)), 0, "d(x / 4)/dx");
        assertArrayEquals(new double[] {3, 3, 3, 3}, gradient(v, x -> Scalars.mul(x, 3)), 0, "Scalars.mul");
    }

    @Test
    void hardActivationsHaveTorchsGradients() {
        double[] v = {-4, -1.5, 0.5, 2, 4};
        // hardswish'(x) = 0 below -3, 1 above 3, (2x + 3) / 6 between
        double[] swish = gradient(v, x -> new Hardswish().forward(x));
        assertArrayEquals(new double[] {0, 0, 4.0 / 6, 7.0 / 6, 1}, swish, 1e-15, "hardswish");
        // hardsigmoid'(x) = 1/6 strictly inside (-3, 3), else 0; libtorch's backward uses a float 1/6
        double sixth = 1f / 6;
        double[] sigmoid = gradient(v, x -> new Hardsigmoid().forward(x));
        assertArrayEquals(new double[] {0, sixth, sixth, sixth, 0}, sigmoid, 0, "hardsigmoid");
    }
}
