package org.fx4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.io.Npy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Layers keep PyTorch's double constants in float64, checked against the formulas in Java doubles
 * (no torchvision needed): a float-rounded eps or momentum is off by about 1e-13 relative, far above
 * these bounds.
 */
class Float64LayersTest {

    private static final double[] X = {0.3, -1.2, 2.5, 0.7, -0.4, 1.9, 0.05, -2.2};

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** One channel, [2, 1, 2, 2]. */
    private static NDArray input() {
        return manager.create(X, new Shape(2, 1, 2, 2));
    }

    private static double mean() {
        double s = 0;
        for (double v : X) {
            s += v;
        }
        return s / X.length;
    }

    private static double biasedVar() {
        double m = mean();
        double s = 0;
        for (double v : X) {
            s += (v - m) * (v - m);
        }
        return s / X.length;
    }

    @Test
    void batchNormUsesDoubleEpsAndMomentum() {
        BatchNorm2d bn = new BatchNorm2d(1);
        bn.initialize(manager, DataType.FLOAT64);
        bn.stateDict().get("running_mean").getArray().set(new double[] {0.25});
        bn.stateDict().get("running_var").getArray().set(new double[] {1e-4});
        bn.eval();
        double[] y = bn.forward(input()).toDoubleArray();
        for (int i = 0; i < X.length; i++) {
            double expected = (X[i] - 0.25) / Math.sqrt(1e-4 + 1e-5);
            assertEquals(expected, y[i], 1e-15 * Math.abs(expected) + 1e-15, "eval, element " + i);
        }
        bn.train();
        double[] t = bn.forward(input()).toDoubleArray();
        for (int i = 0; i < X.length; i++) {
            double expected = (X[i] - mean()) / Math.sqrt(biasedVar() + 1e-5);
            assertEquals(expected, t[i], 1e-14 * Math.abs(expected) + 1e-15, "train, element " + i);
        }
        double runningMean = bn.stateDict().get("running_mean").getArray().toDoubleArray()[0];
        double runningVar = bn.stateDict().get("running_var").getArray().toDoubleArray()[0];
        assertEquals(0.9 * 0.25 + 0.1 * mean(), runningMean, 1e-16, "momentum 0.1 in double");
        assertEquals(0.9 * 1e-4 + 0.1 * biasedVar() * X.length / (X.length - 1), runningVar, 1e-15,
                "unbiased batch variance, momentum 0.1 in double");
    }

    @Test
    void frozenBatchNormUsesDoubleEps() {
        FrozenBatchNorm2d bn = new FrozenBatchNorm2d(1);
        bn.initialize(manager, DataType.FLOAT64);
        bn.stateDict().get("running_var").getArray().set(new double[] {1e-4});
        double[] y = bn.forward(input()).toDoubleArray();
        for (int i = 0; i < X.length; i++) {
            double expected = X[i] / Math.sqrt(1e-4 + 1e-5);
            assertEquals(expected, y[i], 1e-14 * Math.abs(expected), "element " + i);
        }
    }

    @Test
    void hardsigmoidHasPyTorchsValueAndGradient() {
        NDArray x = manager.create(new double[] {-3, -2, 0, 3, 4, -3.5});
        x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray y = new Hardsigmoid().forward(x);
            assertArrayEquals(new double[] {0, 1 / 6.0, 0.5, 1, 1, 0}, y.toDoubleArray(), 0.0,
                    "relu6(x + 3) / 6 exactly");
            gc.backward(y.sum());
        }
        double k = 1.0f / 6.0f; // libtorch's hardsigmoid_backward constant, strictly inside (-3, 3)
        assertArrayEquals(new double[] {0, k, k, 0, 0, 0}, x.getGradient().toDoubleArray(), 0.0);
    }

    /** A module with two parameters, for loading. */
    static final class TwoParameters extends Module {
        final Parameter weight = registerParameter("weight", new Shape(1), Init.constant(0f));
        final Parameter bias = registerParameter("bias", new Shape(1), Init.constant(0f));
    }

    @Test
    void float64CheckpointsLoadWithoutRounding(@TempDir Path dir) throws IOException {
        double third = 1.0 / 3.0;
        Path npy = dir.resolve("w.npy");
        Npy.write(npy, manager.create(new double[] {third}));
        assertEquals(third, Npy.read(npy, manager, true).toDoubleArray()[0], 0.0, ".npy keeps float64");
        Path npz = dir.resolve("w.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
            for (String key : new String[] {"weight", "bias"}) {
                zip.putNextEntry(new ZipEntry(key + ".npy"));
                zip.write(Files.readAllBytes(npy));
                zip.closeEntry();
            }
        }
        TwoParameters layer = new TwoParameters();
        Checkpoints.load(layer, npz, manager, CheckpointOptions.builder().optFloatingType(DataType.FLOAT64).build());
        NDArray w = layer.weight.getArray();
        assertEquals(DataType.FLOAT64, w.getDataType());
        assertEquals(third, w.toDoubleArray()[0], 0.0, "no float32 rounding on the way");
        TwoParameters plain = new TwoParameters();
        Checkpoints.load(plain, npz, manager);
        assertEquals(DataType.FLOAT32, plain.weight.getArray().getDataType(), "float32 by default");
    }
}
