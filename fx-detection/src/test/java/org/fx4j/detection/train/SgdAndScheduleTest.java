package org.fx4j.detection.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link SgdOptimizer} against {@code torch.optim.SGD}'s update written out by hand (momentum buffer
 * seeded with the first gradient, weight decay added to the gradient), gradient clipping as {@code
 * clip_grad_norm_}, no arrays left behind, and the learning-rate schedule's values.
 */
class SgdAndScheduleTest {

    private static Parameter parameter(NDManager m, double... values) {
        Parameter p = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).optRequiresGrad(true).build();
        NDArray a = m.create(values);
        a.setRequiresGradient(true);
        p.setArray(a);
        return p;
    }

    /** Sets the gradient of p to g by backpropagating sum(p * g). */
    private static void setGradient(Parameter p, double... g) {
        NDManager m = p.getArray().getManager();
        try (NDManager scope = m.newSubManager();
                ai.djl.training.GradientCollector c = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            NDArray gg = scope.create(g);
            NDArray loss = gg.mul(p.getArray()).sum(); // gg first: the product lands in the scope
            loss.attach(scope);
            c.backward(loss);
        }
    }

    private static double[] gradient(Parameter p) {
        try (NDArray g = JniUtils.getGradient((PtNDArray) p.getArray())) {
            return g.toDoubleArray();
        }
    }

    private static int arrays(NDManager m) {
        return ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
    }

    @Test
    void stepsAreTorchSgdWithMomentumAndWeightDecay() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, 1.0, -2.0);
            try (SgdOptimizer sgd = new SgdOptimizer(Map.of("w", p), 0.9, 0.1, m)) {
                double[] w = {1.0, -2.0};
                double[] buf = null;
                double[][] grads = {{0.5, 0.25}, {-1.0, 2.0}, {0.0, 0.125}};
                double[] lrs = {0.1, 0.05, 0.2};
                for (int s = 0; s < 3; s++) {
                    setGradient(p, grads[s]);
                    sgd.step(lrs[s]);
                    double[] d = {grads[s][0] + 0.1 * w[0], grads[s][1] + 0.1 * w[1]};
                    buf = buf == null ? d : new double[] {0.9 * buf[0] + d[0], 0.9 * buf[1] + d[1]};
                    w = new double[] {w[0] - lrs[s] * buf[0], w[1] - lrs[s] * buf[1]};
                    assertArrayEquals(w, p.getArray().toDoubleArray(), 1e-15, "step " + s);
                    assertArrayEquals(new double[2], gradient(p), "gradients are zeroed after a step");
                }
                int before = arrays(m);
                setGradient(p, 3.0, 4.0);
                sgd.step(0.1);
                assertEquals(before, arrays(m), "a step leaves no array behind in the parameters' manager");
            }
        }
    }

    @Test
    void clippingScalesToTheMaximumNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter p = parameter(m, 0.0, 0.0);
            try (SgdOptimizer sgd = new SgdOptimizer(Map.of("w", p), 0, 0, m)) {
                setGradient(p, 3.0, 4.0);
                int before = arrays(m);
                assertEquals(5.0, sgd.clipGradNorm(1.0), 1e-12);
                assertEquals(before, arrays(m), "clipping leaves no array behind");
                double coef = 1.0 / (5.0 + 1e-6);
                assertArrayEquals(new double[] {3 * coef, 4 * coef}, gradient(p), 1e-12);
                assertEquals(5.0 * coef, sgd.clipGradNorm(10.0), 1e-12, "below the maximum nothing changes");
                assertArrayEquals(new double[] {3 * coef, 4 * coef}, gradient(p), 1e-12);
            }
        }
    }

    @Test
    void warmupThenCosineOrSteps() {
        LearningRateSchedule cos = new LearningRateSchedule(0.02, 100, 0.001, LearningRateSchedule.Kind.COSINE, null, 0);
        assertEquals(0.02 * 0.001, cos.rate(0, 0), 1e-15, "warm-up starts at factor * base");
        assertEquals(0.02 * (0.001 * 0.5 + 0.5), cos.rate(50, 0), 1e-15, "linear warm-up");
        assertEquals(0.02, cos.rate(100, 0), 1e-15);
        assertEquals(0.01, cos.rate(500, 0.5), 1e-15, "half-way through the cosine");
        assertEquals(0.0, cos.rate(1000, 1.0), 1e-15);
        LearningRateSchedule step = new LearningRateSchedule(0.02, 0, 1, LearningRateSchedule.Kind.STEP,
                new double[] {0.5, 0.75}, 0.1);
        assertEquals(0.02, step.rate(10, 0.49), 1e-15);
        assertEquals(0.002, step.rate(10, 0.5), 1e-15);
        assertEquals(0.0002, step.rate(10, 0.8), 1e-15);
    }
}
