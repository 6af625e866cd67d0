package org.fx4j.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generated corpus of malicious and corrupt checkpoints: every file is refused with one {@link
 * CheckpointException} that names the file and the problem, in bounded time and Java memory (measured
 * per file on this thread, and again in a forked JVM with a 64 MB heap); random mutations of valid
 * files of every format are read or refused, never crash.
 */
class HostileCheckpointTest {

    /** The most a refusal may take. */
    static final long MAX_MILLIS = 5_000;
    /** The most Java heap a refusal may allocate, garbage included (4 million memo entries take 247 MB). */
    static final long MAX_ALLOCATED = 320L << 20;

    @TempDir
    static Path corpusDir;

    private static List<HostileCheckpoints.Case> corpus;
    private static NDManager manager;
    private static final List<String> TIMES = new ArrayList<>();
    private static final List<String> ALLOCATIONS = new ArrayList<>();

    @BeforeAll
    static void setUp() throws IOException {
        manager = NDManager.newBaseManager();
        corpus = HostileCheckpoints.write(corpusDir);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
        TIMES.sort(null);
        ALLOCATIONS.sort(null);
        System.out.println("hostile corpus: " + (corpus == null ? 0 : corpus.size()) + " files; slowest refusal: "
                + (TIMES.isEmpty() ? "-" : TIMES.get(TIMES.size() - 1)) + "; largest allocation: "
                + (ALLOCATIONS.isEmpty() ? "-" : ALLOCATIONS.get(ALLOCATIONS.size() - 1)));
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @TestFactory
    Stream<DynamicTest> everyFileIsRefusedCleanly() {
        return corpus.stream().map(c -> DynamicTest.dynamicTest(c.name, () -> {
            long bytes0 = allocated();
            long t0 = System.nanoTime();
            Throwable thrown = null;
            try (StateDict sd = Checkpoints.read(c.file, manager)) {
                fail(c.name + " was read (" + sd.size() + " tensors); it must be refused");
            } catch (Throwable t) {
                thrown = t;
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            long alloc = allocated() - bytes0;
            synchronized (TIMES) {
                TIMES.add(String.format(Locale.ROOT, "%06d ms %s", millis, c.name));
                ALLOCATIONS.add(String.format(Locale.ROOT, "%06d MB %s", alloc >> 20, c.name));
            }
            if (!(thrown instanceof CheckpointException)) {
                throw new AssertionError(c.name + ": expected a CheckpointException, got " + thrown, thrown);
            }
            String m = thrown.getMessage();
            assertTrue(m.contains(c.file.toString()), c.name + ": the message names the file: " + m);
            assertTrue(m.contains(c.expected), c.name + ": the message says '" + c.expected + "': " + m);
            assertTrue(m.length() < 2000, c.name + ": the message is bounded, " + m.length() + " chars");
            assertTrue(m.chars().noneMatch(ch -> ch < 0x20), c.name + ": one line, no control characters: " + m);
            assertTrue(millis < MAX_MILLIS, c.name + " took " + millis + " ms");
            assertTrue(alloc < MAX_ALLOCATED, c.name + " allocated " + (alloc >> 20) + " MB");
        }));
    }

    @Test
    void corpusIsRefusedInAJvmWithA64MbHeap() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx64m", "-Dai.djl.offline=true",
                "-cp", System.getProperty("java.class.path"), HostileCorpusMain.class.getName(), corpusDir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the forked run finished");
        assertEquals(0, p.exitValue(), out);
        long refused = out.lines().filter(l -> l.startsWith("REFUSED ")).count();
        assertEquals(corpus.size(), refused, out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("CRASH") || l.startsWith("READ")), out);
        String maxHeap = out.lines().filter(l -> l.startsWith("MAXHEAP ")).findFirst().orElseThrow();
        System.out.println("forked -Xmx64m run: " + refused + " refused, heap peak "
                + (Long.parseLong(maxHeap.substring(8)) >> 20) + " MB");
    }

    /**
     * The crafted tensor views torch 1.13 itself refuses are exactly those fx4j refuses minus the
     * documented cases where fx4j is stricter: views torch keeps lazily (broadcasts of TBs), storages
     * torch reads from the record's actual size, more than 64 dimensions, one storage declared with
     * two types (which torch.save refuses to write), and a dict holding an int (torch.load returns it;
     * load_state_dict then fails).
     */
    @Test
    void tensorViewsTorchRefusesAreRefused() throws IOException {
        org.fx4j.testing.TorchvisionReference.assumeAvailable();
        String out = org.fx4j.testing.TorchvisionReference.run(HostileCheckpointTest.class,
                "/reference/torch_load_outcomes.py", corpusDir.toString(), "view-*.pth");
        java.util.Set<String> accepted = new java.util.TreeSet<>();
        java.util.Set<String> refused = new java.util.TreeSet<>();
        out.lines().forEach(l -> {
            String[] parts = l.split(" ", 3);
            if (parts[0].equals("ACCEPTED")) {
                accepted.add(parts[1]);
            } else if (parts[0].equals("REFUSED")) {
                refused.add(parts[1]);
            }
        });
        long views = corpus.stream().filter(c -> c.name.startsWith("view-")).count();
        assertEquals(views, accepted.size() + refused.size(), out);
        assertEquals(java.util.Set.of("view-entry-not-tensor.pth", "view-rank-65.pth", "view-storage-bytes-overflow.pth",
                "view-storage-declared-twice.pth", "view-storage-record-short.pth", "view-stride0-4gib.pth",
                "view-stride0-4tb.pth", "view-stride0-8tb-in-4000-tensors.pth"), accepted,
                "torch accepts only the views fx4j documents as stricter:\n" + out);
        assertTrue(refused.containsAll(java.util.List.of("view-negative-stride.pth", "view-negative-size.pth",
                "view-negative-offset.pth", "view-numel-overflow.pth", "view-extent-overflow.pth")), out);
    }

    /**
     * A 4 TB broadcast under a key the model does not have: loading reports the key, never the
     * tensor's size, because keys and shapes are compared before anything is read; a non-strict load
     * loads the matching keys and never touches the 4 TB one.
     */
    @Test
    void keysAndShapesAreCheckedBeforeTensorsAreRead(@TempDir Path dir) throws IOException {
        StateDictLoaderTest.Net net = new StateDictLoaderTest.Net();
        net.initialize(manager);
        Path good = dir.resolve("good.safetensors");
        Checkpoints.saveSafetensors(net, good);
        HostileCheckpoints.Pickle p = new HostileCheckpoints.Pickle().orderedDict().op('(');
        List<String> names = new ArrayList<>();
        Map<String, byte[]> records = new LinkedHashMap<>();
        try (StateDict sd = Checkpoints.read(good, manager)) {
            int i = 0;
            for (Map.Entry<String, NDArray> e : sd.tensors().entrySet()) {
                String key = Integer.toString(i++);
                ByteBuffer data = e.getValue().toByteBuffer();
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                records.put(key, bytes);
                long[] shape = e.getValue().getShape().getShape();
                long[] stride = new long[shape.length];
                long st = 1;
                for (int d = shape.length - 1; d >= 0; d--) {
                    stride[d] = st;
                    st *= shape[d];
                }
                String type = e.getValue().getDataType() == ai.djl.ndarray.types.DataType.INT64 ? "LongStorage"
                        : "FloatStorage";
                p.str(e.getKey()).tensor(type, key, e.getValue().getShape().size(), 0, shape, stride);
                names.add(e.getKey());
            }
        }
        records.put("huge", new byte[4]);
        p.str("not.a.key").tensor("FloatStorage", "huge", 1, 0, new long[] {1_000_000, 1_000_000}, new long[] {0, 0});
        Path f = dir.resolve("with-4tb-extra.pth");
        HostileCheckpoints.torchZip(f, p.op('u').stop(), records);

        CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(CheckpointException.class,
                () -> Checkpoints.load(new StateDictLoaderTest.Net(), f, manager));
        assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"not.a.key\"")
                && e.getMessage().contains("nothing was loaded"), e.getMessage());
        LoadReport report = Checkpoints.load(new StateDictLoaderTest.Net(), f, manager,
                CheckpointOptions.builder().optStrict(false).build());
        assertEquals(names.size(), report.loadedCount());
        assertEquals(List.of("not.a.key"), report.unexpectedKeys());
        assertTrue(org.junit.jupiter.api.Assertions.assertThrows(CheckpointException.class,
                () -> Checkpoints.read(f, manager)).getMessage().contains("up to 2 GiB each"),
                "read() materialises everything, so the same file is refused there");
    }

    /** Files at the edges: 70 000 entries (one memory mapping, not 70 000), empty tensors of huge dims. */
    @Test
    void validEdgeCasesAreRead(@TempDir Path dir) throws IOException {
        Path npz = dir.resolve("70k.npz");
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(npz))) {
            z.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            for (int i = 0; i < 70_000; i++) {
                byte[] entry = HostileCheckpoints.npy("<f4", "(1,)", 4);
                java.nio.ByteBuffer.wrap(entry).order(java.nio.ByteOrder.LITTLE_ENDIAN).putFloat(entry.length - 4, i);
                java.util.zip.ZipEntry e = new java.util.zip.ZipEntry("a" + i + ".npy");
                e.setMethod(java.util.zip.ZipEntry.STORED);
                e.setSize(entry.length);
                java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                crc.update(entry);
                e.setCrc(crc.getValue());
                z.putNextEntry(e);
                z.write(entry);
                z.closeEntry();
            }
        }
        try (NDManager sub = manager.newSubManager(); StateDict sd = Checkpoints.read(npz, sub)) {
            assertEquals(70_000, sd.size());
            assertEquals(69_999f, sd.get("a69999").getFloat());
        }
        String json = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3486784401,3486784401,3],\"data_offsets\":[0,0]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        Path st = dir.resolve("empty-huge-dims.safetensors");
        Files.write(st, java.nio.ByteBuffer.allocate(8 + h.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).array());
        // torch 1.13 makes it with overflowed (negative) strides; libtorch 2.7.1 refuses: a clear refusal.
        CheckpointException e = org.junit.jupiter.api.Assertions.assertThrows(CheckpointException.class,
                () -> Checkpoints.read(st, manager));
        assertTrue(e.getMessage().contains("whose contiguous strides overflow int64"), e.getMessage());
        String fine = "{\"e\":{\"dtype\":\"F32\",\"shape\":[0,3486784401,3],\"data_offsets\":[0,0]}}";
        byte[] h2 = fine.getBytes(StandardCharsets.UTF_8);
        Files.write(st, java.nio.ByteBuffer.allocate(8 + h2.length).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putLong(h2.length).put(h2).array());
        try (StateDict sd = Checkpoints.read(st, manager)) {
            assertEquals(new Shape(0, 3486784401L, 3), sd.get("e").getShape());
        }
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return 0;
    }

    @TestFactory
    Stream<DynamicTest> mutatedFilesAreReadOrRefusedNeverCrash(@TempDir Path dir) throws IOException {
        Map<String, byte[]> valid = new LinkedHashMap<>();
        Path zip = dir.resolve("valid.pth");
        byte[] data = new byte[24];
        HostileCheckpoints.torchZip(zip, new HostileCheckpoints.Pickle().orderedDict().op('(')
                .str("w").tensor("FloatStorage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .str("t").tensor("FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3})
                .op('u').stop(), Map.of("0", data));
        valid.put("torch zip", Files.readAllBytes(zip));
        Path st = dir.resolve("valid.safetensors");
        try (NDArray a = manager.arange(12f).reshape(3, 4); NDArray b = manager.create(new long[] {1, 2})) {
            Map<String, NDArray> m = new LinkedHashMap<>();
            m.put("a", a);
            m.put("b", b);
            SafeTensors.write(st, m, Map.of("k", "v"));
        }
        valid.put("safetensors", Files.readAllBytes(st));
        Path npz = dir.resolve("valid.npz");
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(npz))) {
            z.putNextEntry(new java.util.zip.ZipEntry("w.npy"));
            z.write(HostileCheckpoints.npy("<f4", "(4,)", 16));
            z.closeEntry();
        }
        valid.put("npz", Files.readAllBytes(npz));
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, byte[]> v : valid.entrySet()) {
            tests.add(DynamicTest.dynamicTest(v.getKey() + ": 400 mutations", () -> {
                Path base = dir.resolve("base");
                Files.write(base, v.getValue());
                try (StateDict sd = Checkpoints.read(base, manager)) {
                    assertTrue(sd.size() > 0, "the unmutated file reads");
                }
                Random random = new Random(v.getKey().hashCode());
                int read = 0;
                int refused = 0;
                for (int i = 0; i < 400; i++) {
                    byte[] bytes = mutate(v.getValue(), random);
                    Path f = dir.resolve("mutant");
                    Files.write(f, bytes);
                    try (StateDict sd = Checkpoints.read(f, manager)) {
                        read++;
                    } catch (CheckpointException e) {
                        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
                        refused++;
                    } catch (Throwable t) {
                        throw new AssertionError(v.getKey() + " mutant " + i + " crashed the reader: " + t, t);
                    }
                }
                assertEquals(400, read + refused);
                assertTrue(refused > 0, "some mutants are refused");
            }));
        }
        return tests.stream();
    }

    private static byte[] mutate(byte[] in, Random random) {
        byte[] b = in.clone();
        switch (random.nextInt(4)) {
            case 0: // flip a few bytes
                for (int k = 0, n = 1 + random.nextInt(4); k < n; k++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                return b;
            case 1: // truncate
                return java.util.Arrays.copyOf(b, random.nextInt(b.length));
            case 2: // an extreme 32-bit value somewhere
                int at = random.nextInt(Math.max(1, b.length - 4));
                int v = new int[] {-1, 0x7fffffff, 0x80000000, 0xffff, 0}[random.nextInt(5)];
                java.nio.ByteBuffer.wrap(b).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(at, v);
                return b;
            default: // duplicate a slice
                int from = random.nextInt(b.length);
                int len = Math.min(b.length - from, 1 + random.nextInt(32));
                byte[] out = new byte[b.length + len];
                System.arraycopy(b, 0, out, 0, from + len);
                System.arraycopy(b, from, out, from + len, b.length - from);
                return out;
        }
    }
}
