package org.fx4j.descriptors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.fx4j.io.Npy;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PCA whitening: numpy's eigendecomposition as the reference, the identity covariance, the file. */
class PcaWhiteningTest {

    /** Correlated data: independent variables of unequal scales, mixed by a random matrix. */
    private static float[][] data(int n, int c, long seed) {
        Random r = new Random(seed);
        double[][] mix = new double[c][c];
        for (double[] row : mix) {
            for (int j = 0; j < c; j++) {
                row[j] = r.nextGaussian();
            }
        }
        float[][] out = new float[n][c];
        for (int i = 0; i < n; i++) {
            double[] z = new double[c];
            for (int j = 0; j < c; j++) {
                z[j] = r.nextGaussian() * (1 + 3.0 * j / c);
            }
            for (int a = 0; a < c; a++) {
                double s = 0.5;
                for (int j = 0; j < c; j++) {
                    s += mix[a][j] * z[j];
                }
                out[i][a] = (float) s;
            }
        }
        return out;
    }

    @Test
    void cosinesOfWhitenedDescriptorsMatchNumpy(@TempDir Path dir) throws Exception {
        float[][] train = data(80, 12, 1);
        float[][] heldOut = data(7, 12, 2);
        PcaWhitening w = PcaWhitening.fit(train, 8);
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(dir.resolve("x.npy"), m.create(train));
            Npy.write(dir.resolve("y.npy"), m.create(heldOut));
            TorchvisionReference.run(PcaWhiteningTest.class, "/reference/pca_whitening.py",
                    dir.resolve("x.npy").toString(), dir.resolve("y.npy").toString(), "8",
                    dir.resolve("gram.npy").toString());
            double[] want = Npy.read(dir.resolve("gram.npy"), m, true).toDoubleArray();
            double[][] rows = new double[heldOut.length][];
            for (int i = 0; i < heldOut.length; i++) {
                double[] p = w.project(heldOut[i]);
                double norm = Math.sqrt(Arrays.stream(p).map(v -> v * v).sum());
                rows[i] = Arrays.stream(p).map(v -> v / norm).toArray();
            }
            for (int i = 0; i < rows.length; i++) {
                for (int j = 0; j < rows.length; j++) {
                    double dot = 0;
                    for (int k = 0; k < 8; k++) {
                        dot += rows[i][k] * rows[j][k];
                    }
                    assertEquals(want[i * rows.length + j], dot, 1e-9, "cosine " + i + ", " + j);
                }
                float[] applied = w.apply(heldOut[i]);
                for (int k = 0; k < 8; k++) {
                    assertEquals(rows[i][k], applied[k], 1e-6);
                }
            }
        }
    }

    @Test
    void theCollectionWhitensToTheIdentityCovariance() {
        float[][] train = data(60, 10, 3);
        float[][] copy = Arrays.stream(train).map(float[]::clone).toArray(float[][]::new);
        PcaWhitening w = PcaWhitening.fit(train, 6);
        assertArrayEquals(copy, train, "the collection is not modified");
        double[][] p = Arrays.stream(train).map(w::project).toArray(double[][]::new);
        for (int a = 0; a < 6; a++) {
            for (int b = 0; b < 6; b++) {
                double s = 0;
                for (double[] row : p) {
                    s += row[a] * row[b];
                }
                assertEquals(a == b ? 1 : 0, s / p.length, 1e-9, "covariance " + a + ", " + b);
            }
        }
        double[] v = w.variances();
        for (int k = 1; k < v.length; k++) {
            assertTrue(v[k] <= v[k - 1], "variances largest first");
        }
    }

    @Test
    void refusesWhatCannotBeWhitened() {
        float[][] train = data(5, 10, 4);
        assertMessage(() -> PcaWhitening.fit(train, 5), "needs at least 6 descriptors");
        assertMessage(() -> PcaWhitening.fit(train, 11), "choose 1..10");
        float[][] flat = new float[20][3];
        for (int i = 0; i < 20; i++) {
            flat[i] = new float[] {i, 2 * i, 0}; // one direction of variance
        }
        assertMessage(() -> PcaWhitening.fit(flat, 2), "vary in only 1 independent directions");
        float[][] ragged = {new float[] {1, 2}, new float[] {1}, new float[] {3, 4}};
        assertMessage(() -> PcaWhitening.fit(ragged, 1), "descriptor 1 has 1 values; descriptor 0 has 2");
        PcaWhitening w = PcaWhitening.fit(data(30, 4, 5), 2);
        assertMessage(() -> w.apply(new float[3]), "learned on descriptors of length 4; got 3");
    }

    private static void assertMessage(Runnable r, String expected) {
        String message = assertThrows(IllegalArgumentException.class, r::run).getMessage();
        assertTrue(message.contains(expected), message);
    }

    @Test
    void savesAndLoads(@TempDir Path dir) throws IOException {
        PcaWhitening w = PcaWhitening.fit(data(40, 6, 6), 4);
        Path file = dir.resolve("w.bin");
        w.save(file);
        PcaWhitening back = PcaWhitening.load(file);
        float[] q = {1, -2, 3, 0.5f, 2, 1};
        assertArrayEquals(w.apply(q), back.apply(q));
        assertArrayEquals(w.variances(), back.variances());
        byte[] bytes = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 8));
        assertTrue(assertThrows(IOException.class, () -> PcaWhitening.load(cut)).getMessage().contains("truncated"));
    }
}
