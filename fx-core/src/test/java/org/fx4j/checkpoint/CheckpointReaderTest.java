package org.fx4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.fx4j.testing.TorchvisionReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading torch.save (zip and legacy), safetensors and .npz files, and refusing bad ones. */
class CheckpointReaderTest {

    private static final List<String> KEYS = List.of(
            "f32", "f16", "bf16", "f64", "i64", "i32", "u8", "bool", "scalar", "base", "transposed", "offset_rows",
            "column", "empty");

    @TempDir
    static Path fixtures;

    private static NDManager manager;

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        if (TorchvisionReference.isAvailable()) {
            TorchvisionReference.run(CheckpointReaderTest.class, "/reference/checkpoint_fixtures.py", "dtypes",
                    fixtures.toString());
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static double[] values(NDArray a) {
        NDArray f = a.getDataType() == DataType.BOOLEAN ? a.toType(DataType.INT32, false) : a;
        return f.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static void assertMatchesExpected(StateDict sd) throws IOException {
        try (StateDict expected = Checkpoints.read(fixtures.resolve("expected.npz"), manager)) {
            assertEquals(KEYS, List.copyOf(sd.keys()));
            for (String k : KEYS) {
                NDArray a = sd.get(k);
                NDArray e = expected.get(k);
                assertEquals(e.getShape(), a.getShape(), k);
                assertArrayEquals(values(e), values(a), 0.0, k);
            }
            assertEquals(DataType.FLOAT16, sd.get("f16").getDataType());
            assertEquals(DataType.FLOAT32, sd.get("bf16").getDataType(), "bfloat16 is widened to float32");
            assertEquals(DataType.UINT8, sd.get("u8").getDataType());
            assertEquals(DataType.BOOLEAN, sd.get("bool").getDataType());
            assertEquals(new Shape(), sd.get("scalar").getShape());
        }
    }

    @Test
    void readsZipFormatWithAllDtypesViewsAndSharedStorages() throws IOException {
        TorchvisionReference.assumeAvailable();
        assertEquals(Checkpoints.Format.TORCH_ZIP, Checkpoints.detect(fixtures.resolve("dtypes.pth")));
        try (StateDict sd = Checkpoints.read(fixtures.resolve("dtypes.pth"), manager)) {
            assertMatchesExpected(sd);
        }
    }

    @Test
    void readsLegacyFormat() throws IOException {
        TorchvisionReference.assumeAvailable();
        assertEquals(Checkpoints.Format.TORCH_LEGACY, Checkpoints.detect(fixtures.resolve("dtypes_legacy.pth")));
        try (StateDict sd = Checkpoints.read(fixtures.resolve("dtypes_legacy.pth"), manager)) {
            assertMatchesExpected(sd);
        }
    }

    @Test
    void findsNestedStateDictAndStripsPrefix() throws IOException {
        TorchvisionReference.assumeAvailable();
        Path nested = fixtures.resolve("nested.pth");
        try (StateDict sd = Checkpoints.read(nested, manager, CheckpointOptions.builder().optPrefix("module.").build())) {
            assertMatchesExpected(sd);
        }
        try (StateDict sd = Checkpoints.read(nested, manager, CheckpointOptions.builder().optKey("model").build())) {
            assertEquals("module.f32", sd.keys().iterator().next());
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.read(nested, manager, CheckpointOptions.builder().optKey("net").build()));
        assertTrue(e.getMessage().contains("no state dict under key 'net'") && e.getMessage().contains("[model, epoch]"),
                e.getMessage());
    }

    @Test
    void refusesPicklesThatWouldRunCode() throws Exception {
        TorchvisionReference.assumeAvailable();
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> Checkpoints.read(fixtures.resolve("evil.pth"), manager));
        assertTrue(e.getMessage().contains("'posix.system'") && e.getMessage().contains("refuses"), e.getMessage());
        assertFalse(Files.exists(fixtures.resolve("pwned.txt")), "nothing ran");
    }

    @Test
    void refusesHandMadePickleGlobals(@TempDir Path dir) throws IOException {
        byte[] pickle = ("\u0080\u0002cos\nsystem\nq\u0000X\u0002\u0000\u0000\u0000lsq\u0001\u0085q\u0002Rq\u0003.")
                .getBytes(StandardCharsets.ISO_8859_1);
        Path f = dir.resolve("evil.pt");
        Files.write(f, pickle);
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(f, manager));
        assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
    }

    @Test
    void truncatedAndForeignFilesFailNamingTheFile(@TempDir Path dir) throws IOException {
        TorchvisionReference.assumeAvailable();
        for (String name : List.of("dtypes.pth", "dtypes_legacy.pth")) {
            byte[] bytes = Files.readAllBytes(fixtures.resolve(name));
            for (int cut : new int[] {bytes.length / 2, bytes.length - 3}) {
                Path t = dir.resolve("cut-" + cut + "-" + name);
                Files.write(t, Arrays.copyOf(bytes, cut));
                CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(t, manager));
                assertTrue(e.getMessage().contains(t.toString()), e.getMessage());
                assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("corrupt"), e.getMessage());
            }
        }
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "just some text, not a checkpoint");
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoints.read(text, manager)).getMessage()
                .contains("is not a checkpoint fx4j reads"));
        Path empty = dir.resolve("empty.pth");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoints.read(empty, manager)).getMessage()
                .contains("is empty"));
        assertTrue(assertThrows(CheckpointException.class, () -> Checkpoints.read(dir.resolve("missing.pth"), manager))
                .getMessage().contains("no such file"));
    }

    @Test
    void safetensorsRoundTripAndConversion(@TempDir Path dir) throws IOException {
        TorchvisionReference.assumeAvailable();
        Path st = dir.resolve("dtypes.safetensors");
        assertEquals(KEYS.size(), Checkpoints.convertToSafetensors(fixtures.resolve("dtypes.pth"), st, manager,
                CheckpointOptions.defaults()));
        assertEquals(Checkpoints.Format.SAFETENSORS, Checkpoints.detect(st));
        try (StateDict sd = Checkpoints.read(st, manager)) {
            assertMatchesExpected(sd);
        }
        byte[] bytes = Files.readAllBytes(st);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 10));
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.read(cut, manager));
        assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());
    }

    @Test
    void safetensorsOfJavaArrays(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("a.safetensors");
        NDArray a = manager.randomNormal(new Shape(3, 4));
        NDArray b = manager.create(new long[] {1, 2, 3});
        SafeTensors.write(f, new java.util.LinkedHashMap<>(Map.of("a", a)), Map.of());
        SafeTensors.write(f, Map.of("b", b), Map.of("note", "overwritten atomically"));
        try (StateDict sd = Checkpoints.read(f, manager)) {
            assertEquals(List.of("b"), List.copyOf(sd.keys()));
            assertArrayEquals(new long[] {1, 2, 3}, sd.get("b").toLongArray());
        }
        assertEquals(0, Files.list(dir).filter(p -> p.toString().endsWith(".tmp")).count(), "no temporary file left");
    }

    @Test
    void stateDictOwnsItsTensors() throws IOException {
        TorchvisionReference.assumeAvailable();
        NDArray kept;
        try (NDManager sub = manager.newSubManager()) {
            StateDict sd = Checkpoints.read(fixtures.resolve("dtypes.pth"), sub);
            kept = sd.get("f32");
            assertEquals(KEYS.size(), sd.size());
            sd.close();
            assertTrue(kept.isReleased(), "closing the state dict closes its tensors");
        }
    }
}
