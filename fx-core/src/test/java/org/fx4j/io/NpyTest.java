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
