package org.fx4j.examples.cli;

import static org.fx4j.examples.cli.FxRun.fx;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.io.Npy;
import org.fx4j.models.ResNets;
import org.fx4j.nn.Module;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input to {@code fx} ends with one {@code fx: error: ...} line and exit status 2: unknown
 * flags and commands, bad option values, inputs of other types, directories, devices and FIFOs given
 * as files, outputs that would overwrite or have no parent; and {@code fx convert} writes the same
 * bytes for the same input.
 */
class FxCliErrorsTest {

    @TempDir
    static Path dir;

    private static Path weights;

    @BeforeAll
    static void setUp() throws IOException {
        weights = dir.resolve("r18.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Module net = ResNets.resnet18();
            m.getEngine().setRandomSeed(7);
            net.initialize(m);
            Checkpoints.saveSafetensors(net, weights);
        }
    }

    /** Runs fx and checks: exit 2, one stderr line starting with "fx: error: " and containing {@code expected}. */
    private static FxRun refused(String expected, String... args) {
        FxRun r = fx(args);
        assertEquals(FxCli.BAD_INPUT, r.code, String.join(" ", args) + "\n" + r.err + r.out);
        assertTrue(r.err.startsWith("fx: error: "), r.err);
        assertTrue(r.err.contains(expected), "expected '" + expected + "' in: " + r.err);
        assertEquals(1, r.err.lines().count(), "one line, no usage dump or stack trace: " + r.err);
        assertFalse(r.err.contains("Exception") || r.err.contains("Usage:"), r.err);
        return r;
    }

    @Test
    void unknownFlagsCommandsAndBadValues() {
        refused("Unknown option: '--bogus' (see `fx extract --help`)", "extract", "resnet18", "--nodes", "layer1",
                "--bogus");
        refused("unknown command 'extrct'; commands: nodes, extract, index, search, copies, copyset, copyeval, explore, detect, convert, bench, demo, shapes, train, eval (see `fx --help`)",
                "extrct", "resnet18");
        refused("Invalid value for option '--size': 'abc' is not an int (see `fx extract --help`)", "extract",
                "resnet18", "--nodes", "layer1", "--size", "abc");
        refused("--size must be between 32 and 4096, got 8 (see `fx extract --help`)", "extract", "resnet18",
                "--nodes", "layer1", "--size", "8");
        refused("Missing required option: '--nodes=NODE[:ALIAS]' (or --fpn) (see `fx extract --help`)", "extract", "resnet18");
        refused("--iters must be at least 1, got 0 (see `fx bench --help`)", "bench", "resnet18", "--nodes", "layer1",
                "--iters", "0");
        refused("--warmup-seconds must be a finite number of at least 0.0, got NaN", "bench", "resnet18", "--nodes",
                "layer1", "--warmup-seconds", "NaN");
        refused("--threads must be at least 1, got -2", "bench", "resnet18", "--nodes", "layer1", "--threads", "-2");
        refused("Invalid value for option '--mode'", "nodes", "resnet18", "--mode", "both");
        refused("Unmatched argument at index 2: 'extra'", "nodes", "resnet18", "extra");
        refused("--iters must be at least 1", "demo", "--iters", "-1");
    }

    @Test
    void directoriesDevicesAndFifosAreRefusedAsFiles() throws Exception {
        refused("'" + dir + "': it is a directory, not a file", "extract", "resnet18", "--nodes", "layer1",
                "--weights", dir.toString());
        refused("cannot read input '" + dir + "': it is a directory", "extract", "resnet18", "--nodes", "layer1",
                "--input", dir.toString());
        refused("it is a directory", "convert", dir.toString(), dir.resolve("o.safetensors").toString());
        refused("'/dev/zero': it is not a regular file (a device, FIFO or socket)", "extract", "resnet18", "--nodes",
                "layer1", "--weights", "/dev/zero");
        refused("no such file", "extract", "resnet18", "--nodes", "layer1", "--weights",
                dir.resolve("missing.pth").toString());
        Path fifo = dir.resolve("weights.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertEquals(0, mk.waitFor());
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            refused("it is not a regular file", "extract", "resnet18", "--nodes", "layer1", "--weights",
                    fifo.toString());
            refused("it is not a regular file", "extract", "resnet18", "--nodes", "layer1", "--input",
                    fifo.toString());
        }, "a FIFO is refused, not waited on");
    }

    @Test
    void outputsThatWouldOverwriteOrHaveNoParentAreRefused() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file.txt"), "keep me");
        refused("--out '" + file + "' is an existing file, not a directory", "extract", "resnet18", "--nodes",
                "layer1", "--size", "64", "--out", file.toString());
        refused("its parent directory '" + dir.resolve("no/such") + "' does not exist", "extract", "resnet18",
                "--nodes", "layer1", "--size", "64", "--out", dir.resolve("no/such/dir").toString());
        refused("is an existing file, not a directory", "demo", "--out", file.toString(), "--iters", "1");
        assertEquals("keep me", Files.readString(file), "nothing the user passed is modified");

        Path out = dir.resolve("conv.safetensors");
        assertEquals(0, fx("convert", weights.toString(), out.toString()).code);
        refused("OUT '" + out + "' exists; pass --force to replace it", "convert", weights.toString(), out.toString());
        assertEquals(0, fx("convert", weights.toString(), out.toString(), "--force").code);
        refused("OUT '" + weights + "' is IN", "convert", weights.toString(), weights.toString(), "--force");
        refused("its directory '" + dir.resolve("nowhere") + "' does not exist", "convert", weights.toString(),
                dir.resolve("nowhere/x.safetensors").toString());
        refused("name the output *.safetensors, got /", "convert", weights.toString(), "/");
        Path sub = Files.createDirectories(dir.resolve("sub.safetensors"));
        refused("OUT '" + sub + "' is a directory; name a file", "convert", weights.toString(), sub.toString(),
                "--force");
    }

    @Test
    void npyInputsOfOtherTypesAreConvertedExactlyOrRefusedByName() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Path ints = dir.resolve("ints.npy");
            Npy.write(ints, m.arange(0L, 3 * 40 * 40L).reshape(1, 3, 40, 40));
            FxRun asInts = fx("extract", "resnet18", "--nodes", "conv1", "--input", ints.toString());
            assertEquals(0, asInts.code, asInts.err);
            Path f32 = dir.resolve("f32.npy");
            Npy.write(f32, m.arange(0f, 3 * 40 * 40f).reshape(1, 3, 40, 40));
            FxRun asFloats = fx("extract", "resnet18", "--nodes", "conv1", "--input", f32.toString());
            assertEquals(asFloats.out.lines().skip(1).findFirst(), asInts.out.lines().skip(1).findFirst(),
                    "int64 0..4799 is converted exactly");

            Path big = dir.resolve("big.npy");
            long[] bigs = new long[3 * 40 * 40];
            java.util.Arrays.fill(bigs, 16_777_217L);
            Npy.write(big, m.create(bigs, new Shape(1, 3, 40, 40)));
            refused("input '" + big + "' holds int64 values that float32 cannot hold exactly (e.g. 16777217", "extract",
                    "resnet18", "--nodes", "conv1", "--input", big.toString());
            Path tenth = dir.resolve("tenth.npy");
            double[] tenths = new double[3 * 40 * 40];
            java.util.Arrays.fill(tenths, 0.1);
            Npy.write(tenth, m.create(tenths, new Shape(1, 3, 40, 40)));
            refused("holds float64 values that float32 cannot hold exactly (e.g. 0.1", "extract", "resnet18",
                    "--nodes", "conv1", "--input", tenth.toString());
            Path half = dir.resolve("half.npy");
            double[] halfs = new double[3 * 40 * 40];
            java.util.Arrays.fill(halfs, 0.5);
            Npy.write(half, m.create(halfs, new Shape(1, 3, 40, 40)));
            FxRun halves = fx("extract", "resnet18", "--nodes", "conv1", "--input", half.toString());
            assertEquals(0, halves.code, "float64 0.5 is exact in float32: " + halves.err);
        }
    }

    @Test
    void nonFiniteInputsAreAcceptedWithACountedWarning() throws IOException {
        Path x = dir.resolve("nan.npy");
        try (NDManager m = NDManager.newBaseManager()) {
            float[] v = new float[3 * 32 * 32];
            v[0] = Float.NaN;
            v[5] = Float.NaN;
            v[9] = Float.POSITIVE_INFINITY;
            Npy.write(x, m.create(v, new Shape(1, 3, 32, 32)));
        }
        FxRun r = fx("extract", "resnet18", "--nodes", "conv1", "--input", x.toString());
        assertEquals(0, r.code, r.err);
        assertEquals("fx: warning: input '" + x + "' holds 2 NaN and 1 infinite values; torchvision accepts them, and"
                + " they run into the features", r.err.strip());
    }

    @Test
    void convertIsDeterministicAndSaysWhatItWidened() throws IOException {
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        assertEquals(0, fx("convert", weights.toString(), a.toString()).code);
        assertEquals(0, fx("convert", weights.toString(), b.toString()).code);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "same input, same bytes");
        String header = new String(Files.readAllBytes(a), 8, 200, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"__metadata__\":{\"format\":\"pt\",\"producer\":\"fx4j\"}"), header);

        // A hand-written safetensors file with a bfloat16 and an int16 tensor.
        String json = "{\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                + "\"s\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h).putShort((short) 0x3fc0).putShort((short) 0xc000).putShort((short) -7)
                .putShort((short) 300);
        Path narrow = dir.resolve("narrow.safetensors");
        Files.write(narrow, buf.array());
        Path wide = dir.resolve("wide.safetensors");
        FxRun r = fx("convert", narrow.toString(), wide.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("note: widened 2 tensors exactly (1 x BF16 -> F32, 1 x I16 -> I32)"), r.out);
        try (NDManager m = NDManager.newBaseManager();
                org.fx4j.checkpoint.StateDict sd = Checkpoints.read(wide, m)) {
            assertArrayEquals(new float[] {1.5f, -2f}, sd.get("b").toFloatArray());
            assertArrayEquals(new int[] {-7, 300}, sd.get("s").toIntArray());
        }
    }
}
