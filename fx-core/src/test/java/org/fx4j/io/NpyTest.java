package org.fx4j.io;

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
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy round trips, NumPy's own files, and clear errors for bad files. */
class NpyTest {

    @Test
    void roundTripKeepsShapeTypeAndValues(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            for (Shape shape : new Shape[] {new Shape(2, 3, 4, 5), new Shape(7), new Shape()}) {
                NDArray a = m.randomNormal(shape);
                Path f = dir.resolve("a.npy");
                Npy.write(f, a);
                NDArray b = Npy.read(f, m);
                assertEquals(shape, b.getShape());
                assertEquals(DataType.FLOAT32, b.getDataType());
                assertArrayEquals(a.toFloatArray(), b.toFloatArray());
                assertEquals(0, (Files.size(f) - shape.size() * 4) % 64, "header padded to 64 bytes");
            }
            NDArray ints = m.create(new long[] {0, 1, 2, 3, 4, 5}, new Shape(2, 3));
            Npy.write(dir.resolve("i.npy"), ints);
            assertArrayEquals(ints.toLongArray(), Npy.read(dir.resolve("i.npy"), m).toLongArray());
        }
    }

    @Test
    void readsAndWritesWhatNumpyDoes(@TempDir Path dir) throws Exception {
        TorchvisionReference.assumeAvailable();
        Path fromNumpy = dir.resolve("np.npy");
        Path fromJava = dir.resolve("java.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(fromJava, m.arange(0f, 24f).reshape(2, 3, 4));
        }
        Process p = new ProcessBuilder(TorchvisionReference.PYTHON, "-c",
                "import numpy as np, sys\n"
                        + "np.save(sys.argv[1], np.arange(12, dtype=np.float64).reshape(3, 4) / 4)\n"
                        + "a = np.load(sys.argv[2]); assert a.dtype == np.float32 and a.shape == (2, 3, 4)\n"
                        + "assert (a.ravel() == np.arange(24)).all()\n",
                fromNumpy.toString(), fromJava.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "numpy reads fx4j's file and writes its own");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = Npy.read(fromNumpy, m);
            assertEquals(new Shape(3, 4), a.getShape());
            assertEquals(DataType.FLOAT32, a.getDataType(), "float64 is read as float32");
            assertEquals(2.75f, a.toFloatArray()[11]);
        }
    }

    /** Big-endian, 16-bit and Fortran-ordered files, written by NumPy itself, read to the same values. */
    @Test
    void readsByteOrdersAndSixteenBitIntegersAsNumpyWrites(@TempDir Path dir) throws Exception {
        TorchvisionReference.assumeAvailable();
        String[][] cases = {
            {">f4", "float32"}, {">f8", "float64"}, {"<i2", "int32"}, {">i2", "int32"}, {"<u2", "int32"},
            {">u2", "int32"}, {">i8", "int64"}, {"<u1", "uint8"}, {">f4F", "float32"}, {">i2F", "int32"},
        };
        StringBuilder script = new StringBuilder("import numpy as np, sys\n");
        for (String[] c : cases) {
            String dtype = c[0].replace("F", "");
            String order = c[0].endsWith("F") ? "F" : "C";
            // Values that use every byte: negative where signed, above 2^15 for uint16, beyond 2^24 for 8-byte types.
            script.append("v = np.array([[-7, 300, 1], [40000, -32768, 2]] if '").append(dtype)
                    .append("'[1] == 'i' else [[7, 300, 1], [65535, 32768, 2]] if '").append(dtype)
                    .append("'[1] == 'u' else [[-1.5, 3e-3, 1], [65504.25, 1e30, 2]])\n");
            script.append("a = np.array(v.astype('").append(dtype).append("') if '").append(dtype)
                    .append("'[1:] != 'i2' else np.clip(v, -32768, 32767).astype('").append(dtype).append("'), order='")
                    .append(order).append("')\n");
            script.append("if '").append(dtype).append("'[1:] == 'u1': a = np.clip(v, 0, 255).astype('u1')\n");
            script.append("np.save(sys.argv[1] + '/").append(c[0]).append(".npy', a)\n");
            script.append("np.savetxt(sys.argv[1] + '/").append(c[0]).append(".txt', a.astype('f8').ravel())\n");
        }
        Process p = new ProcessBuilder(TorchvisionReference.PYTHON, "-c", script.toString(), dir.toString())
                .inheritIO().start();
        assertEquals(0, p.waitFor());
        try (NDManager m = NDManager.newBaseManager()) {
            for (String[] c : cases) {
                NDArray a = Npy.read(dir.resolve(c[0] + ".npy"), m, true);
                assertEquals(new Shape(2, 3), a.getShape(), c[0]);
                assertEquals(c[1], a.getDataType().name().toLowerCase(java.util.Locale.ROOT), c[0]);
                double[] expected = Files.readAllLines(dir.resolve(c[0] + ".txt")).stream()
                        .mapToDouble(Double::parseDouble).toArray();
                assertArrayEquals(expected, a.toType(DataType.FLOAT64, false).toDoubleArray(), 0.0, c[0]);
            }
        }
    }

    @Test
    void badFilesFailNamingTheFile(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("good.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            Npy.write(good, m.ones(new Shape(4, 4)));
            byte[] bytes = Files.readAllBytes(good);
            Path truncated = dir.resolve("truncated.npy");
            Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 5));
            IOException t = assertThrows(IOException.class, () -> Npy.read(truncated, m));
            assertTrue(t.getMessage().contains("truncated.npy") && t.getMessage().contains("truncated or corrupt"), t.getMessage());
            Path text = dir.resolve("text.npy");
            Files.writeString(text, "hello, world");
            IOException n = assertThrows(IOException.class, () -> Npy.read(text, m));
            assertTrue(n.getMessage().contains("is not a .npy file"), n.getMessage());
            IOException missing = assertThrows(IOException.class, () -> Npy.read(dir.resolve("nope.npy"), m));
            assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        }
    }
}
