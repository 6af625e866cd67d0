package org.fx4j.descriptors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Map;
import org.fx4j.io.Npy;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Global pooling and normalisation against torch's functions, in float64. */
class PoolingTest {

    @Test
    void matchesTorchInFloat64(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            // signed values: GeM's clamp matters, max differs from the average
            NDArray x = m.randomNormal(0, 1, new Shape(3, 5, 4, 6), DataType.FLOAT64).add(0.3);
            Npy.write(dir.resolve("x.npy"), x);
            TorchvisionReference.run(PoolingTest.class, "/reference/descriptor_pooling.py",
                    dir.resolve("x.npy").toString(), dir.toString());
            Map<String, Pooling> cases = Map.of("avg", Pooling.avg(), "max", Pooling.max(), "gem3", Pooling.gem(3),
                    "gem1_5", Pooling.gem(1.5));
            for (Map.Entry<String, Pooling> c : cases.entrySet()) {
                NDArray want = Npy.read(dir.resolve(c.getKey() + ".npy"), m, true);
                assertClose(want, c.getValue().apply(x), c.getKey());
            }
            assertClose(Npy.read(dir.resolve("normalized.npy"), m, true), Descriptors.describe(x, Pooling.gem(3)),
                    "normalized");
        }
    }

    private static void assertClose(NDArray want, NDArray got, String what) {
        assertEquals(want.getShape(), got.getShape(), what);
        double[] a = want.toDoubleArray();
        double[] b = got.toDoubleArray();
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-13 * Math.max(1, Math.abs(a[i])), what + " value " + i);
        }
    }

    @Test
    void vectorsPassThroughAndOtherRanksAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray v = m.ones(new Shape(2, 7));
            assertSame(v, Pooling.gem(3).apply(v));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Pooling.avg().apply(m.ones(new Shape(2, 3, 4))));
            assertTrue(e.getMessage().contains("[N, C, H, W] feature map or [N, C] vectors, got (2, 3, 4)"),
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Pooling.gem(3).apply(m.ones(new Shape(1, 2, 3, 3), DataType.INT32)));
            assertTrue(e.getMessage().contains("pooling takes a floating map, got int32"), e.getMessage());
            float[][] rows = Descriptors.rows(Descriptors.describe(m.ones(new Shape(2, 4, 3, 3)), Pooling.max()));
            assertEquals(0.5f, rows[1][3], 1e-7f);
        }
    }

    @Test
    void parsesNamesAndRefusesOthers() {
        assertEquals(Pooling.gem(3), Pooling.parse("gem"));
        assertEquals(Pooling.gem(2.5), Pooling.parse("GeM:2.5"));
        assertEquals(Pooling.avg(), Pooling.parse("avg"));
        assertEquals("gem:3", Pooling.parse("gem").toString());
        assertEquals(Pooling.parse("gem:2.5"), Pooling.parse(Pooling.gem(2.5).toString()));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pooling.parse("median")).getMessage()
                .contains("unknown pooling 'median'; use avg, max, gem or gem:P"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pooling.parse("gem:0")).getMessage()
                .contains("positive finite exponent p, got 0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Pooling.parse("gem:x")).getMessage()
                .contains("must be a number"));
    }
}
