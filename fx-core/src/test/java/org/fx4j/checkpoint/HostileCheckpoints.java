package org.fx4j.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Generates, at test time, a corpus of malicious and corrupt checkpoints (torch.save zip and legacy,
 * raw pickles, safetensors, npz), each with the fragment its refusal's message must contain. Nothing
 * here is committed as a binary: the files are written into a directory the test gives.
 */
final class HostileCheckpoints {

    /** One file of the corpus and what its refusal must say. */
    static final class Case {
        final String name;
        final Path file;
        final String expected;

        Case(String name, Path file, String expected) {
            this.name = name;
            this.file = file;
            this.expected = expected;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final Path dir;
    private final List<Case> cases = new ArrayList<>();

    private HostileCheckpoints(Path dir) {
        this.dir = dir;
    }

    /** Writes the whole corpus into {@code dir}. */
    static List<Case> write(Path dir) throws IOException {
        HostileCheckpoints h = new HostileCheckpoints(dir);
        h.pickles();
        h.tensorViews();
        h.zips();
        h.legacy();
        h.safetensors();
        h.npz();
        return h.cases;
    }

    // ---------------------------------------------------------------- pickle bytes

    /** A pickle, opcode by opcode (protocol 2 unless said). */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle() {
            raw(0x80, 2);
        }

        Pickle raw(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle op(char c) {
            out.write(c);
            return this;
        }

        Pickle bytes(byte[] b) {
            out.write(b, 0, b.length);
            return this;
        }

        Pickle int4(int v) {
            return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
        }

        Pickle int8(long v) {
            return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').int4(b.length);
            return bytes(b);
        }

        Pickle integer(long v) {
            if (v >= 0 && v < 256) {
                return raw('K', (int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').int4((int) v);
            }
            raw(0x8a, 8);
            return int8(v);
        }

        Pickle global(String module, String name) {
            return op('c').bytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
        }

        Pickle ints(long... values) {
            op('(');
            for (long v : values) {
                integer(v);
            }
            return op('t');
        }

        /** {@code OrderedDict()} on the stack. */
        Pickle orderedDict() {
            return global("collections", "OrderedDict").op(')').op('R');
        }

        /** A {@code _rebuild_tensor_v2} call for a view of storage {@code key}. */
        Pickle tensor(String type, String key, long storageNumel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            op('(').str("storage").global("torch", type).str(key).str("cpu").integer(storageNumel).op('t').op('Q');
            integer(offset).ints(size).ints(stride).raw(0x89).orderedDict();
            return op('t').op('R');
        }

        byte[] stop() {
            out.write('.');
            return out.toByteArray();
        }

        byte[] unterminated() {
            return out.toByteArray();
        }
    }

    /** A state dict {name: tensor} with one tensor view. */
    static byte[] stateDict(String name, String type, long storageNumel, long offset, long[] size, long[] stride) {
        return new Pickle().orderedDict().op('(').str(name).tensor(type, "0", storageNumel, offset, size, stride)
                .op('u').stop();
    }

    // ---------------------------------------------------------------- writers

    private Path file(String name) {
        return dir.resolve(name);
    }

    private void add(String name, Path file, String expected) {
        cases.add(new Case(name, file, expected));
    }

    private void raw(String name, byte[] bytes, String expected) throws IOException {
        Path f = file(name);
        Files.write(f, bytes);
        add(name, f, expected);
    }

    /** A torch.save zip: archive/data.pkl plus archive/data/KEY records, all stored. */
    static void torchZip(Path f, byte[] pickle, Map<String, byte[]> records) throws IOException {
        try (OutputStream os = Files.newOutputStream(f); ZipOutputStream zip = new ZipOutputStream(os)) {
            stored(zip, "archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> r : records.entrySet()) {
                stored(zip, "archive/data/" + r.getKey(), r.getValue());
            }
            stored(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    private void zipOf(String name, byte[] pickle, String expected) throws IOException {
        Path f = file(name);
        torchZip(f, pickle, Map.of("0", new byte[64]));
        add(name, f, expected);
    }

    /** Adds a hostile pickle twice: as a torch zip's data.pkl and as a raw pickle file (the legacy reader's). */
    private void pickle(String name, byte[] pickle, String expectedInZip, String expectedRaw) throws IOException {
        zipOf("pickle-" + name + ".pth", pickle, expectedInZip);
        raw("raw-" + name + ".pkl", pickle, expectedRaw);
    }

    // ---------------------------------------------------------------- pickles

    private void pickles() throws IOException {
        // 200k-deep nested lists.
        Pickle deep = new Pickle();
        for (int i = 0; i < 200_000; i++) {
            deep.op(']');
        }
        for (int i = 0; i < 199_999; i++) {
            deep.op('a');
        }
        pickle("deep-lists", deep.stop(), "holds a list", "wrong magic number");

        // A list that contains itself, used as a dict key.
        byte[] selfKey = new Pickle().op('}').op(']').raw('q', 0).raw('h', 0).op('a').op('0').raw('h', 0).raw('K', 1).op('s')
                .stop();
        pickle("self-list-key", selfKey, "unhashable", "unhashable");

        // 100k nested _rebuild_from_type_v2 calls.
        Pickle nested = new Pickle().global("torch._tensor", "_rebuild_from_type_v2").raw('q', 0).raw('h', 0);
        for (int i = 0; i < 100_000; i++) {
            nested.op('(').raw('h', 0).op('N');
        }
        nested.op(')');
        for (int i = 0; i < 100_000; i++) {
            nested.op('}').op('t');
        }
        nested.op('R');
        pickle("nested-rebuild", nested.stop(), "nests torch._tensor._rebuild_from_type_v2", "in a header pickle");

        // An exponentially shared tuple (2^200 leaves) rendered in error messages.
        Pickle shared = new Pickle().str("x");
        for (int i = 0; i < 200; i++) {
            shared.raw('q', 0).op('0').raw('h', 0).raw('h', 0).raw(0x86);
        }
        byte[] sharedPid = shared.raw('Q').stop();
        pickle("shared-tuple-pid", sharedPid, "unexpected persistent id", "a persistent id in a header pickle");
        Pickle sharedKey = new Pickle().op('}').str("x");
        for (int i = 0; i < 200; i++) {
            sharedKey.raw('q', 0).op('0').raw('h', 0).raw('h', 0).raw(0x86);
        }
        pickle("shared-tuple-key", sharedKey.op('N').op('s').stop(), "holds a dict with keys", "wrong magic number");
        Pickle sharedCall = new Pickle().str("x");
        for (int i = 0; i < 200; i++) {
            sharedCall.raw('q', 0).op('0').raw('h', 0).raw('h', 0).raw(0x86);
        }
        pickle("shared-tuple-call", sharedCall.op(')').op('R').stop(), "non-callable", "non-callable");

        // Declared lengths beyond the bytes left (allocated before the check, once).
        pickle("binunicode-2g", new Pickle().op('X').int4(0x7fffffff).bytes(new byte[16]).stop(), "2147483647 bytes",
                "2147483647 bytes");
        pickle("binbytes-4g", new Pickle().op('B').int4(0xffffffff).bytes(new byte[16]).stop(), "4294967295 bytes",
                "4294967295 bytes");
        pickle("binunicode8-negative", new Pickle().raw(0x8d).int8(-5).stop(), "negative length",
                "negative length");
        pickle("binbytes8-huge", new Pickle().raw(0x8e).int8(Long.MAX_VALUE).stop(), "9223372036854775807 bytes",
                "9223372036854775807 bytes");
        pickle("bytearray8-huge", new Pickle().raw(0x96).int8(1L << 40).stop(), "bytes", "bytes");
        pickle("long4-2g", new Pickle().raw(0x8b).int4(0x7fffffff).stop(), "pickles an integer of 2147483647 bytes",
                "pickles an integer of 2147483647 bytes");
        byte[] kib = new byte[1024];
        java.util.Arrays.fill(kib, (byte) 0x7f);
        pickle("big-long-rendered", new Pickle().raw(0x8b).int4(kib.length).bytes(kib).op(')').op('R')
                .stop(), "non-callable int(8191 bits)", "non-callable int(8191 bits)");
        byte[] eightMib = new byte[8 << 20];
        pickle("long4-8mib", new Pickle().raw(0x8b).int4(eightMib.length).bytes(eightMib).stop(),
                "pickles an integer of 8388608 bytes", "pickles an integer of 8388608 bytes");
        pickle("long4-negative", new Pickle().raw(0x8b).int4(-1).stop(), "pickles an integer of 4294967295 bytes",
                "pickles an integer of 4294967295 bytes");
        pickle("long1-past-end", new Pickle().raw(0x8a, 200).raw(1, 2).stop(), "a LONG declares 200 bytes",
                "a LONG declares 200 bytes");

        // Budgets: objects (at most 4M, fewer in a small heap) and bytes.
        Pickle many = new Pickle().op(']');
        for (int i = 0; i < 2_100_000; i++) {
            many.op('N').op('a');
        }
        pickle("4m-objects", many.stop(), "objects (fx4j's bound", "objects (fx4j's bound");
        Pickle memo = new Pickle().op(']');
        for (int i = 0; i < 4_100_000; i++) {
            memo.raw(0x94);
        }
        pickle("4m-memo", memo.stop(), "objects (fx4j's bound", "objects (fx4j's bound");
        Pickle marks = new Pickle();
        for (int i = 0; i < 4_100_000; i++) {
            marks.op('(');
        }
        pickle("4m-marks", marks.stop(), "objects (fx4j's bound", "objects (fx4j's bound");
        Pickle strings = new Pickle().op(']');
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i < 65; i++) {
            strings.op('B').int4(mib.length).bytes(mib).op('a');
        }
        zipOf("pickle-65mib-of-bytes.pth", strings.stop(), "bytes of strings and numbers");
        byte[] longLine = new byte[8 << 20];
        java.util.Arrays.fill(longLine, (byte) 'a');
        pickle("long-global-line", new Pickle().op('c').bytes(longLine).stop(), "longer than 4096",
                "longer than 4096");

        // Strings from the file in messages: escaped and bounded.
        byte[] injected = new Pickle().op('}').str("evil\n\u001b[31mfx: error: forged line").raw('K', 3).op('s').stop();
        pickle("newline-key", injected, "evil\\n\\x1b[31mfx: error: forged line", "wrong magic number");
        byte[] longKey = new Pickle().op('}').str("k".repeat(5_000_000)).raw('K', 3).op('s').stop();
        pickle("5mb-key", longKey, "holds a dict with keys [kkkk", "wrong magic number");
        byte[] frozen = new Pickle().op('}').op('(').str("a").raw(0x91).raw('K', 3).op('s').stop();
        pickle("frozenset-key", frozen, "frozenset({'a'})", "wrong magic number");

        // Malformed streams.
        pickle("odd-dict", new Pickle().op('(').op('N').op('d').stop(), "DICT with an odd number of items (1)",
                "DICT with an odd number of items (1)");
        pickle("dup-mark", new Pickle().op('(').op('2').stop(), "DUP of a MARK", "DUP of a MARK");
        pickle("memo-mark", new Pickle().op('(').raw('q', 0).stop(), "PUT of a MARK", "PUT of a MARK");
        pickle("unknown-opcode", new Pickle().raw(0xff).stop(), "unknown opcode 0xff", "unknown opcode 0xff");
        pickle("stack-underflow", new Pickle().op('0').stop(), "stack underflow", "stack underflow");
        pickle("memo-unwritten", new Pickle().raw('h', 7).stop(), "memo key 7", "memo key 7");
        pickle("no-mark", new Pickle().op('N').op('t').stop(), "no MARK", "no MARK");
        pickle("two-at-stop", new Pickle().op('N').op('N').stop(), "2 items at STOP", "2 items at STOP");
        pickle("no-stop", new Pickle().orderedDict().unterminated(), "truncated", "truncated");
        pickle("bad-int-line", new Pickle().op('I').bytes("12x4\n".getBytes(StandardCharsets.US_ASCII)).stop(),
                "NumberFormatException", "NumberFormatException");
        pickle("wrong-types", new Pickle().op('N').op('N').raw(0x93).stop(), "a global's name is a None",
                "a global's name is a None");
        pickle("append-to-none", new Pickle().op('N').op('N').op('a').stop(), "APPEND to a None", "APPEND to a None");
        pickle("setitem-on-list", new Pickle().op(']').op('N').op('N').op('s').stop(), "SETITEM to a list",
                "SETITEM to a list");
        pickle("reduce-none-args", new Pickle().global("collections", "OrderedDict").op('N').op('R').stop(),
                "REDUCE arguments is a None", "REDUCE arguments is a None");
        pickle("build-on-list", new Pickle().op(']').op('N').op('b').stop(), "sets the state of a list",
                "sets the state");

        // Code execution: globals and object-construction opcodes.
        for (String[] g : new String[][] {{"os", "system"}, {"posix", "system"}, {"builtins", "eval"},
                {"__builtin__", "getattr"}, {"torch.storage", "_load_from_bytes"}, {"torch", "load"},
                {"subprocess", "Popen"}}) {
            byte[] p = new Pickle().global(g[0], g[1]).str("touch /tmp/fx4j-pwned").raw(0x85).op('R').stop();
            pickle("global-" + g[0] + "-" + g[1], p, "'" + g[0] + "." + g[1] + "'", "'" + g[0] + "." + g[1] + "'");
        }
        pickle("stack-global-eval", new Pickle().str("builtins").str("eval").raw(0x93).stop(), "'builtins.eval'",
                "'builtins.eval'");
        pickle("inst-opcode", new Pickle().op('(').op('i').bytes("os\nsystem\n".getBytes(StandardCharsets.US_ASCII))
                .stop(), "opcode 0x69", "opcode 0x69");
        pickle("obj-opcode", new Pickle().op('(').op('N').op('o').stop(), "opcode 0x6f", "opcode 0x6f");
        pickle("newobj-ex-opcode", new Pickle().op('N').op(')').op('}').raw(0x92).stop(), "opcode 0x92",
                "opcode 0x92");
        pickle("ext1-opcode", new Pickle().raw(0x82, 1).stop(), "opcode 0x82", "opcode 0x82");
    }

    // ---------------------------------------------------------------- tensor views

    private void view(String name, long storageNumel, long offset, long[] size, long[] stride, String expected)
            throws IOException {
        Path f = file("view-" + name + ".pth");
        torchZip(f, stateDict("w", "FloatStorage", storageNumel, offset, size, stride),
                Map.of("0", new byte[(int) Math.min(Math.max(storageNumel, 0), 1024) * 4]));
        add("view-" + name, f, expected);
    }

    private void tensorViews() throws IOException {
        view("negative-stride", 4, 0, new long[] {2}, new long[] {-1}, "negative stride -1");
        view("negative-size", 4, 0, new long[] {-1}, new long[] {1}, "negative size -1");
        view("negative-offset", 4, -1, new long[] {2}, new long[] {1}, "invalid storage offset -1");
        view("numel-overflow", 4, 0, new long[] {1L << 62, 4}, new long[] {4, 1}, "overflows int64");
        view("extent-overflow", 4, 0, new long[] {4}, new long[] {Long.MAX_VALUE / 2}, "overflows int64");
        view("extent-past-storage", 4, 0, new long[] {2, 2}, new long[] {Long.MAX_VALUE / 2, 1},
                "reads elements up to 4611686018427387905 of a storage of 4");
        view("past-storage", 4, 2, new long[] {4}, new long[] {1}, "reads elements up to 6 of a storage of 4");
        view("storage-negative", -4, 0, new long[] {0}, new long[] {1}, "declares -4 elements");
        view("storage-bytes-overflow", Long.MAX_VALUE / 2, 0, new long[] {1}, new long[] {1}, "overflows int64");
        view("storage-record-short", 2000, 0, new long[] {2000}, new long[] {1}, "holds 4096 bytes");
        long[] rank65 = new long[65];
        java.util.Arrays.fill(rank65, 1);
        view("rank-65", 4, 0, rank65, rank65, "65 dimensions");
        // A 4 TB broadcast of one element: torch makes it a view; fx4j would materialise it, so memory is checked first.
        view("stride0-4tb", 1, 0, new long[] {1_000_000, 1_000_000}, new long[] {0, 0}, "up to 2 GiB each");
        Pickle many = new Pickle().orderedDict().op('(');
        for (int i = 0; i < 4000; i++) {
            many.str("w" + i).tensor("FloatStorage", "0", 1, 0, new long[] {1 << 14, (1 << 15) - 1}, new long[] {0, 0});
        }
        Path eightTb = file("view-stride0-8tb-in-4000-tensors.pth");
        torchZip(eightTb, many.op('u').stop(), Map.of("0", new byte[4]));
        add("view-stride0-8tb-in-4000-tensors", eightTb, "of memory is available");
        view("stride0-4gib", 1, 0, new long[] {1 << 15, 1 << 15}, new long[] {0, 0}, "up to 2 GiB each");

        Path missing = file("view-storage-record-missing.pth");
        torchZip(missing, stateDict("w", "FloatStorage", 4, 0, new long[] {4}, new long[] {1}), Map.of());
        add("view-storage-record-missing", missing, "storage record 'data/0' is missing");
        Path twice = file("view-storage-declared-twice.pth");
        byte[] p = new Pickle().orderedDict().op('(')
                .str("a").tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1})
                .str("b").tensor("DoubleStorage", "0", 4, 0, new long[] {4}, new long[] {1}).op('u').stop();
        torchZip(twice, p, Map.of("0", new byte[32]));
        add("view-storage-declared-twice", twice, "is declared twice");
        Path pid = file("view-pid-not-tuple.pth");
        torchZip(pid, new Pickle().orderedDict().op('(').str("w").str("storage").op('Q').op('u').stop(), Map.of());
        add("view-pid-not-tuple", pid, "a persistent id is a str");
        Path untyped = file("view-untyped-storage.pth");
        byte[] u = new Pickle().orderedDict().op('(').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "UntypedStorage").str("0").str("cpu").integer(4).op('t')
                .op('Q').op('t').op('R').op('u').stop();
        torchZip(untyped, u, Map.of("0", new byte[4]));
        add("view-untyped-storage", untyped, "'torch.UntypedStorage'");
        Path notTensor = file("view-entry-not-tensor.pth");
        torchZip(notTensor, new Pickle().orderedDict().op('(').str("w").integer(3).str("v")
                .tensor("FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('u').stop(),
                Map.of("0", new byte[4]));
        add("view-entry-not-tensor", notTensor, "no state dict of tensors");
    }

    // ---------------------------------------------------------------- zip structure

    private static byte[] goodZip() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(b)) {
            stored(zip, "archive/data.pkl", stateDict("w", "FloatStorage", 4, 0, new long[] {4}, new long[] {1}));
            stored(zip, "archive/data/0", new byte[16]);
        }
        return b.toByteArray();
    }

    private static int eocd(byte[] z) {
        for (int i = z.length - 22; i >= 0; i--) {
            if (ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN).getInt(i) == 0x06054b50) {
                return i;
            }
        }
        throw new IllegalStateException("no EOCD");
    }

    private static int centralDirectory(byte[] z) {
        return ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN).getInt(eocd(z) + 16);
    }

    private void patchedZip(String name, int offset, byte[] patch, String expected) throws IOException {
        byte[] z = goodZip();
        System.arraycopy(patch, 0, z, offset, patch.length);
        raw("zip-" + name + ".pth", z, expected);
    }

    private static byte[] le16(int v) {
        return new byte[] {(byte) v, (byte) (v >> 8)};
    }

    private static byte[] le32(long v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array();
    }

    private void zips() throws IOException {
        byte[] z = goodZip();
        int end = eocd(z);
        int cd = centralDirectory(z);
        patchedZip("entry-count-lies", end + 10, le16(0xfffe), "declares 65534 entries");
        patchedZip("entry-count-lies-small", end + 10, le16(3), "declares 3 entries");
        patchedZip("name-length-lies", cd + 28, le16(0xffff), "past the directory's end");
        patchedZip("extra-length-lies", cd + 30, le16(0x7000), "past the directory's end");
        patchedZip("cd-offset-past-end", end + 16, le32(0x7fff0000L), "truncated or not a zip file");
        patchedZip("cd-size-huge", end + 12, le32(0xfffffff0L), "declares 4294967280 bytes");
        patchedZip("zip64-locator-missing", end + 10, le16(0xffff), "Zip64 locator missing");
        patchedZip("local-header-offset-lies", cd + 42, le32(7), "bad local header");
        patchedZip("entry-size-lies", cd + 24, le32(0x7ff00000L), "declares");
        patchedZip("stored-sizes-differ", cd + 20, le32(3), "declares 3 bytes stored");
        patchedZip("compressed-pickle", cd + 10, le16(8), "is compressed (method 8)");
        byte[] cut = java.util.Arrays.copyOf(z, z.length - 30);
        raw("zip-truncated.pth", cut, "no zip end-of-central-directory record");
        Path twice = file("zip-duplicate-entry.pth");
        try (OutputStream os = Files.newOutputStream(twice)) {
            os.write(duplicateEntryZip());
        }
        add("zip-duplicate-entry", twice, "appears twice");
    }

    /** A zip whose central directory lists data.pkl twice (ZipOutputStream refuses to write one). */
    private static byte[] duplicateEntryZip() throws IOException {
        byte[] z = goodZip();
        ByteBuffer b = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
        int end = eocd(z);
        int cd = b.getInt(end + 16);
        int nameLen = b.getShort(cd + 28) & 0xffff;
        int entryLen = 46 + nameLen + (b.getShort(cd + 30) & 0xffff) + (b.getShort(cd + 32) & 0xffff);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(z, 0, end);
        out.write(z, cd, entryLen);
        byte[] tail = java.util.Arrays.copyOfRange(z, end, z.length);
        ByteBuffer t = ByteBuffer.wrap(tail).order(ByteOrder.LITTLE_ENDIAN);
        t.putShort(8, (short) (t.getShort(8) + 1));
        t.putShort(10, (short) (t.getShort(10) + 1));
        t.putInt(12, t.getInt(12) + entryLen);
        out.write(tail);
        return out.toByteArray();
    }

    // ---------------------------------------------------------------- legacy format

    private static byte[] legacyHeader(long protocol, boolean littleEndian) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] magic = new Pickle().raw(0x8a, 10).bytes(new byte[] {0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9,
                0x20, 0x6a, (byte) 0xa8, 0x50, 0x19}).stop();
        out.write(magic, 0, magic.length);
        byte[] proto = new Pickle().integer(protocol).stop();
        out.write(proto, 0, proto.length);
        byte[] info = new Pickle().op('}').str("little_endian").raw(littleEndian ? 0x88 : 0x89).op('s').stop();
        out.write(info, 0, info.length);
        return out.toByteArray();
    }

    private void legacyFile(String name, byte[] header, byte[] body, byte[] keys, byte[] data, String expected)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        out.write(body);
        out.write(keys);
        out.write(data);
        raw("legacy-" + name + ".pth", out.toByteArray(), expected);
    }

    private static byte[] storageData(long numel, int bytes) {
        return ByteBuffer.allocate(8 + bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(numel).array();
    }

    private void legacy() throws IOException {
        byte[] body = stateDict("w", "FloatStorage", 4, 0, new long[] {4}, new long[] {1});
        byte[] keys = new Pickle().op('(').str("0").op('l').stop();
        legacyFile("bad-magic", new Pickle().integer(7).stop(), body, keys, storageData(4, 16), "wrong magic number");
        legacyFile("protocol-1000", legacyHeader(1000, true), body, keys, storageData(4, 16),
                "legacy protocol version 1000");
        ByteArrayOutputStream hugeProtocol = new ByteArrayOutputStream();
        byte[] magicPickle = java.util.Arrays.copyOf(legacyHeader(1001, true), 15); // the magic-number pickle
        hugeProtocol.write(magicPickle);
        byte[] kib = new byte[1024];
        java.util.Arrays.fill(kib, (byte) 0x7f);
        hugeProtocol.write(new Pickle().raw(0x8b).int4(kib.length).bytes(kib).stop());
        legacyFile("big-protocol-number", hugeProtocol.toByteArray(), body, keys, storageData(4, 16),
                "legacy protocol version int(8191 bits)");
        legacyFile("big-endian", legacyHeader(1001, false), body, keys, storageData(4, 16), "big-endian");
        legacyFile("numel-lies", legacyHeader(1001, true), body, keys, storageData(1L << 40, 16),
                "holds 1099511627776 elements");
        legacyFile("storage-truncated", legacyHeader(1001, true), body, keys, storageData(4, 8), "needs 16 bytes");
        legacyFile("storage-missing", legacyHeader(1001, true), body, keys, new byte[0], "is missing");
        byte[] twoKeys = new Pickle().op('(').str("0").str("0").op('l').stop();
        legacyFile("storage-listed-twice", legacyHeader(1001, true), body, twoKeys, storageData(4, 16),
                "listed twice");
        byte[] unknownKey = new Pickle().op('(').str("9").op('l').stop();
        legacyFile("storage-unknown", legacyHeader(1001, true), body, unknownKey, storageData(4, 16),
                "listed but never used");
        legacyFile("keys-not-list", legacyHeader(1001, true), body, new Pickle().integer(3).stop(), new byte[0],
                "storage key list is missing");
    }

    // ---------------------------------------------------------------- safetensors

    private void safetensors(String name, String header, int dataBytes, String expected) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        raw("st-" + name + ".safetensors", b.array(), expected);
    }

    private void safetensors() throws IOException {
        String a = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";
        safetensors("overlap", "{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                "(an overlap)");
        safetensors("gap", "{" + a + ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16,
                "(a gap)");
        safetensors("trailing-data", "{" + a + "}", 12, "cover 8 bytes of a 12-byte data section");
        safetensors("offsets-float", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", 8,
                "holds '8.0', not a non-negative integer");
        safetensors("offsets-exponent", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8e0]}}", 8,
                "not a non-negative integer");
        safetensors("offsets-string", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}", 8,
                "holds a string, not an integer");
        safetensors("offsets-negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8,
                "holds '-8'");
        safetensors("offsets-three", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,8]}}", 8,
                "not 2");
        safetensors("offsets-beyond-int64",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8,
                "beyond int64");
        safetensors("shape-negative", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
                "holds '-2'");
        safetensors("shape-overflow",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
                "overflows int64");
        safetensors("size-mismatch", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                "needs 12 bytes, its offsets give 8");
        safetensors("duplicate-key", "{" + a + "," + a + "}", 8, "appears twice");
        safetensors("unknown-dtype", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[8],\"data_offsets\":[0,8]}}", 8,
                "has dtype 'F8_E4M3'");
        safetensors("metadata-not-string", "{\"__metadata__\":{\"n\":1}," + a + "}", 8,
                "__metadata__ value is not a string");
        safetensors("text-after-json", "{" + a + "} {}", 8, "corrupt safetensors header");
        safetensors("no-offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "it lacks data_offsets");
        safetensors("not-an-object", "[1,2]       ", 0, "is not a checkpoint fx4j reads");
        safetensors("space-before-brace", " {" + a + "}", 8, "is not a checkpoint fx4j reads");
        safetensors("bad-json", "{\"a\":{\"dtype\":", 8, "corrupt safetensors header");
        byte[] bad = {'{', '"', (byte) 0xff, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(bad);
        raw("st-not-utf8.safetensors", b.array(), "not UTF-8");
        ByteBuffer big = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000L).put((byte) '{');
        raw("st-header-200mb.safetensors", big.array(), "header length 200000000");
        String gapName = "a\n\u001b[2Jforged";
        safetensors("newline-name-gap", "{\"" + gapName.replace("\n", "\\n").replace("\u001b", "\\u001b")
                + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "'a\\n\\x1b[2Jforged'");
        StringBuilder garbage = new StringBuilder("{");
        garbage.append(" ".repeat(12 << 20)).append('x');
        safetensors("header-12mb-garbage", garbage.toString(), 0, "safetensors header");
        ByteBuffer past = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put((byte) '{');
        raw("st-header-past-end.safetensors", past.array(), "header length 1000 does not fit in 16 bytes");
    }

    // ---------------------------------------------------------------- npz

    static byte[] npy(String descr, String shape, int dataBytes) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] h = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) h.length).put(h);
        return b.array();
    }

    private void npz(String name, Map<String, byte[]> entries, boolean deflated, String expected) throws IOException {
        Path f = file("npz-" + name + ".npz");
        try (OutputStream os = Files.newOutputStream(f); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                if (deflated) {
                    zip.putNextEntry(new ZipEntry(e.getKey()));
                    zip.write(e.getValue());
                    zip.closeEntry();
                } else {
                    stored(zip, e.getKey(), e.getValue());
                }
            }
        }
        add("npz-" + name, f, expected);
    }

    private void npzPatched(String name, byte[] entry, boolean deflated, int cdOffset, byte[] patch, String expected)
            throws IOException {
        Path f = file("npz-" + name + ".npz");
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(b)) {
            if (deflated) {
                zip.putNextEntry(new ZipEntry("w.npy"));
                zip.write(entry);
                zip.closeEntry();
            } else {
                stored(zip, "w.npy", entry);
            }
        }
        byte[] z = b.toByteArray();
        System.arraycopy(patch, 0, z, centralDirectory(z) + cdOffset, patch.length);
        Files.write(f, z);
        add("npz-" + name, f, expected);
    }

    private void npz() throws IOException {
        Map<String, byte[]> m = new LinkedHashMap<>();
        m.put("w.npy", npy("<f4", "(a, b)", 8));
        npz("shape-not-numbers", m, false, "holds 'a', not a non-negative integer");
        m.put("w.npy", npy("<f4", "(-1,)", 0));
        npz("shape-negative", m, false, "holds '-1'");
        m.put("w.npy", npy("<f4", "(9223372036854775807, 4)", 0));
        npz("shape-overflow", m, false, "overflows int64");
        m.put("w.npy", npy("<f4", "(99999999999999999999,)", 0));
        npz("shape-beyond-int64", m, false, "exceeds int64");
        m.put("w.npy", npy("<c8", "(2,)", 16));
        npz("complex", m, false, "holds dtype '<c8'");
        m.put("w.npy", npy("\u001b[2J<f4\nforged", "(2,)", 8));
        npz("descr-with-escapes", m, false, "holds dtype '\\x1b[2J<f4\\nforged'");
        m.put("w.npy", npy("<f4", "(2, \u001b[2J)", 8));
        npz("shape-with-escapes", m, false, "shape (2, \\x1b[2J) holds '[2J'");
        m.put("w.npy", npy("<f4", "(3,)", 8));
        npz("data-short", m, false, "holds 8 bytes of data");
        m.put("w.npy", npy("<f4", "(3,)", 8));
        npz("data-short-deflated", m, true, "holds 8 bytes of data");
        byte[] header = npy("<f4", "(2,)", 8);
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 0x7fff);
        m.put("w.npy", header);
        npz("header-length-over-numpy-bound", m, false, "a .npy header of 32767 bytes; NumPy reads at most 10000");
        byte[] shortHeader = npy("<f4", "(2,)", 8);
        ByteBuffer.wrap(shortHeader).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 9000);
        m.put("w.npy", shortHeader);
        npz("header-length-lies", m, false, "its header declares 9000 bytes");
        m.put("w.npy", "not numpy at all".getBytes(StandardCharsets.US_ASCII));
        npz("not-npy", m, false, "missing the \\x93NUMPY magic");
        m.clear();
        m.put("notes.txt", new byte[4]);
        npz("no-npy-entries", m, false, "no .npy entries");

        byte[] good = npy("<f4", "(1024,)", 4096);
        npzPatched("deflated-size-lies-up", good, true, 24, le32(good.length + 4096), "inflates to");
        npzPatched("deflated-size-lies-down", good, true, 24, le32(good.length - 8), "holds");
        npzPatched("deflated-inflates-short", npy("<f4", "(2048,)", 4096), true, 24,
                le32(npy("<f4", "(2048,)", 8192).length), "inflates to");
        npzPatched("deflated-ratio-bomb", good, true, 24, le32(0xfff00000L), "more than deflate can give");
        npzPatched("crc-mismatch", good, false, 16, le32(0x12345678), "CRC-32 does not match");
        npzPatched("deflated-crc-mismatch", good, true, 16, le32(0x12345678), "CRC-32 does not match");
        npzPatched("method-bzip2", good, false, 10, le16(12), "zip method 12");
        npzPatched("stored-size-past-end", good, false, 20, le32(0x7ff00000L), "declares");

        // One deflate stream listed by many directory entries: a 250 kB file would inflate to 2 GB.
        Path overlap = file("npz-overlapping-entries.npz");
        Files.write(overlap, overlappingEntriesZip(npy("<f4", "(1000000,)", 4_000_000), 8));
        add("npz-overlapping-entries", overlap, "overlaps entry");

        // An honest 3 GB entry, written sparse: refused by its size, not by running out of memory.
        Path huge = file("npz-honest-3gb.npz");
        writeSparseStoredZip(huge, "big.npy", npy("<f4", "(750000000,)", 0), 3_000_000_000L);
        add("npz-honest-3gb", huge, "up to 2 GiB");
        // Deflated data whose declared sizes are consistent but whose stream is garbage.
        byte[] bogus = new byte[64];
        java.util.Arrays.fill(bogus, (byte) 0xff);
        Path garbage = file("npz-bad-deflate.npz");
        writeRawDeflatedZip(garbage, "w.npy", bogus, 128);
        add("npz-bad-deflate", garbage, "bad deflate data");
    }

    /** A zip whose directory lists one deflated entry {@code copies} times under different names. */
    private static byte[] overlappingEntriesZip(byte[] data, int copies) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(b)) {
            zip.putNextEntry(new ZipEntry("w0.npy"));
            zip.write(data);
            zip.closeEntry();
        }
        byte[] z = b.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(z).order(ByteOrder.LITTLE_ENDIAN);
        int end = eocd(z);
        int cd = bb.getInt(end + 16);
        int entryLen = end - cd;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(z, 0, end);
        for (int i = 1; i < copies; i++) {
            byte[] copy = java.util.Arrays.copyOfRange(z, cd, end);
            copy[46 + 1] = (byte) ('0' + i); // "w<i>.npy"
            out.write(copy);
        }
        ByteBuffer tail = ByteBuffer.wrap(java.util.Arrays.copyOfRange(z, end, z.length)).order(ByteOrder.LITTLE_ENDIAN);
        tail.putShort(8, (short) copies).putShort(10, (short) copies).putInt(12, entryLen * copies);
        out.write(tail.array());
        return out.toByteArray();
    }

    /** A zip with one stored entry of {@code dataBytes} bytes after {@code head}, the rest a sparse hole. */
    private static void writeSparseStoredZip(Path f, String name, byte[] head, long dataBytes) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        long size = head.length + dataBytes;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            ByteBuffer local = ByteBuffer.allocate(30 + n.length).order(ByteOrder.LITTLE_ENDIAN);
            local.putInt(0x04034b50).putShort((short) 10).putShort((short) 0).putShort((short) 0).putInt(0).putInt(0)
                    .putInt((int) size).putInt((int) size).putShort((short) n.length).putShort((short) 0)
                    .put(n);
            raf.write(local.array());
            raf.write(head);
            long cdOffset = 30 + n.length + size;
            raf.seek(cdOffset);
            ByteBuffer cd = ByteBuffer.allocate(46 + n.length + 22).order(ByteOrder.LITTLE_ENDIAN);
            cd.putInt(0x02014b50).putShort((short) 20).putShort((short) 10).putShort((short) 0).putShort((short) 0)
                    .putInt(0).putInt(0).putInt((int) size).putInt((int) size).putShort((short) n.length)
                    .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0)
                    .putInt(0).put(n);
            cd.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1)
                    .putInt(46 + n.length).putInt((int) cdOffset).putShort((short) 0);
            raf.write(cd.array());
        }
    }

    /** A zip with one deflated entry whose compressed bytes are {@code compressed} as given. */
    private static void writeRawDeflatedZip(Path f, String name, byte[] compressed, int declaredSize)
            throws IOException {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(30 + n.length + compressed.length + 46 + n.length + 22)
                .order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x04034b50).putShort((short) 20).putShort((short) 0).putShort((short) 8).putInt(0).putInt(0)
                .putInt(compressed.length).putInt(declaredSize).putShort((short) n.length).putShort((short) 0).put(n);
        b.put(compressed);
        int cdOffset = b.position();
        b.putInt(0x02014b50).putShort((short) 20).putShort((short) 20).putShort((short) 0).putShort((short) 8)
                .putInt(0).putInt(0).putInt(compressed.length).putInt(declaredSize).putShort((short) n.length)
                .putShort((short) 0).putShort((short) 0).putShort((short) 0).putShort((short) 0).putInt(0).putInt(0)
                .put(n);
        b.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) 1).putShort((short) 1)
                .putInt(46 + n.length).putInt(cdOffset).putShort((short) 0);
        Files.write(f, b.array());
    }
}
