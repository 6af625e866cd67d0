package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header ({@code name ->
 * {dtype, shape, data_offsets}}, optional {@code __metadata__}), then the raw little-endian data.
 */
public final class SafeTensors {

    private static final Map<String, DataType> TYPES = Map.of(
            "F32", DataType.FLOAT32,
            "F16", DataType.FLOAT16,
            "BF16", DataType.BFLOAT16,
            "F64", DataType.FLOAT64,
            "I64", DataType.INT64,
            "I32", DataType.INT32,
            "I16", DataType.INT16,
            "I8", DataType.INT8,
            "U8", DataType.UINT8,
            "BOOL", DataType.BOOLEAN);

    private SafeTensors() {}

    /** The largest header the safetensors format accepts (its MAX_HEADER_SIZE). */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The most tensors one header may list (each costs about 500 bytes of heap to check). */
    static final long MAX_TENSORS = RestrictedUnpickler.MAX_OBJECTS / 8;

    /** One tensor's entry in the header. */
    private static final class Info {
        final String name;
        final String dtype;
        final long[] shape;
        final long begin;
        final long end;

        Info(String name, String dtype, long[] shape, long begin, long end) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.begin = begin;
            this.end = end;
        }
    }

    /**
     * Reads a safetensors file's {@code __metadata__} (after validating the whole header as {@link
     * Checkpoints#read} does).
     *
     * @param file the file
     * @return the metadata, empty if the file has none
     * @throws IOException if the file cannot be read or is not valid safetensors
     */
    public static Map<String, String> readMetadata(java.nio.file.Path file) throws IOException {
        String source = file.toString();
        try (FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            read(channel, source, CheckpointOptions.defaults());
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0, source);
            ByteBuffer headerBuf = ByteBuffer.allocate((int) lenBuf.getLong(0));
            readFully(channel, headerBuf, 8, source);
            String text = new String(headerBuf.array(), StandardCharsets.UTF_8);
            Map<String, String> out = new LinkedHashMap<>();
            com.google.gson.JsonElement meta = com.google.gson.JsonParser.parseString(text).getAsJsonObject()
                    .get("__metadata__");
            if (meta != null) {
                meta.getAsJsonObject().entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
            }
            return out;
        }
    }

    /**
     * Reads and validates a safetensors header as the format's own reader does: the header length
     * fits the file and 100 MB, the header is UTF-8 JSON starting with '{' and holding no duplicate
     * keys, shapes and offsets are non-negative integers, the tensors tile the data section exactly
     * (sorted by offset: no gap, no overlap, each the size its shape and dtype give, ending where the
     * file ends) and {@code __metadata__} maps strings to strings.
     */
    static TensorIndex read(FileChannel channel, String source, CheckpointOptions options) throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(source + " is truncated: shorter than a safetensors header");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(channel, lenBuf, 0, source);
        long headerLength = lenBuf.getLong(0);
        if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || headerLength > size - 8) {
            throw new CheckpointException(source + " is truncated or not safetensors: header length " + headerLength
                    + " does not fit in " + size + " bytes" + (headerLength > MAX_HEADER_BYTES
                            ? " (the format allows at most " + MAX_HEADER_BYTES + ")" : ""));
        }
        if (headerLength > Runtime.getRuntime().maxMemory() / 8) {
            // Decoding and parsing take about six times the header's bytes of heap.
            throw new CheckpointException(source + " has a safetensors header of " + headerLength + " bytes, more than"
                    + " an eighth of the Java heap (" + Runtime.getRuntime().maxMemory() + " bytes); raise -Xmx to"
                    + " read it");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLength);
        readFully(channel, headerBuf, 8, source);
        headerBuf.flip();
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(headerBuf).toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(source + " has a corrupt safetensors header: not UTF-8", e);
        }
        if (!text.startsWith("{")) {
            throw new CheckpointException(source + " has a corrupt safetensors header: it does not start with '{'");
        }
        List<Info> infos = parseHeader(text, source);
        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;
        List<Info> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.<Info>comparingLong(i -> i.begin).thenComparingLong(i -> i.end));
        long expectedStart = 0;
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        Map<String, Info> byName = new HashMap<>();
        for (Info info : byOffset) {
            if (info.begin != expectedStart || info.end < info.begin) {
                throw new CheckpointException(source + " is corrupt: tensor '" + BoundedText.name(info.name) + "' spans bytes "
                        + info.begin + ".." + info.end + " of the data section, but the previous tensor ends at "
                        + expectedStart + (info.begin > expectedStart ? " (a gap)" : info.end < info.begin ? ""
                                : " (an overlap)") + "; safetensors tensors tile the data section exactly");
            }
            DataType type = TYPES.get(info.dtype);
            long numel = 1;
            long bytes;
            try {
                for (long d : info.shape) {
                    numel = Math.multiplyExact(numel, d);
                }
                bytes = Math.multiplyExact(numel, (long) type.getNumOfBytes());
            } catch (ArithmeticException e) {
                throw new CheckpointException(source + " is corrupt: tensor '" + BoundedText.name(info.name) + "' of shape "
                        + Arrays.toString(info.shape) + " has a size that overflows int64");
            }
            if (info.end - info.begin != bytes) {
                throw new CheckpointException(source + " is corrupt: tensor '" + BoundedText.name(info.name) + "' of shape "
                        + Arrays.toString(info.shape) + " and dtype " + info.dtype + " needs " + bytes
                        + " bytes, its offsets give " + (info.end - info.begin));
            }
            expectedStart = info.end;
            byName.put(info.name, info);
        }
        if (expectedStart != dataSize) {
            throw new CheckpointException(source + " is truncated or corrupt: its tensors cover " + expectedStart
                    + " bytes of a " + dataSize + "-byte data section; safetensors tensors tile it exactly");
        }
        for (Info info : infos) {
            long[] stride = new long[info.shape.length];
            boolean empty = info.end == info.begin;
            long s = 1;
            for (int i = info.shape.length - 1; i >= 0; i--) {
                stride[i] = s;
                // No overflow: a non-empty tensor's size product was checked; an empty one is never indexed.
                s = empty ? 1 : s * info.shape[i];
            }
            DataType type = TYPES.get(info.dtype);
            TensorRef.StorageRef storage = new TensorRef.StorageRef(info.name, type, info.dtype,
                    (info.end - info.begin) / type.getNumOfBytes());
            refs.put(info.name, TensorRef.checked(storage, 0, info.shape, stride, source));
        }
        refs = TorchCheckpointReader.stripPrefix(refs, options, source);
        FileWindows windows = new FileWindows(channel, source);
        StoredTensor.StorageBytes bytes = storage -> {
            Info info = byName.get(storage.key);
            return windows.slice(dataStart + info.begin, info.end - info.begin);
        };
        Map<String, LazyTensor> tensors = new LinkedHashMap<>();
        refs.forEach((k, r) -> tensors.put(k, new StoredTensor(r, bytes)));
        return new TensorIndex(tensors, source + " (safetensors)");
    }

    private static void readFully(FileChannel channel, ByteBuffer b, long position, String source) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) {
                throw new CheckpointException(source + " is truncated");
            }
        }
    }

    private static List<Info> parseHeader(String text, String source) throws CheckpointException {
        List<Info> infos = new ArrayList<>();
        Set<String> names = new HashSet<>();
        String at = "the header";
        try (JsonReader r = new JsonReader(new StringReader(text))) {
            r.setLenient(false);
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                at = "entry " + BoundedText.of(name);
                if (!names.add(name)) {
                    throw new CheckpointException(source + " has a corrupt safetensors header: key "
                            + BoundedText.of(name) + " appears twice");
                }
                if (name.equals("__metadata__")) {
                    r.beginObject();
                    while (r.hasNext()) {
                        r.nextName();
                        if (r.peek() != JsonToken.STRING) {
                            throw new CheckpointException(source + " has a corrupt safetensors header: a"
                                    + " __metadata__ value is not a string");
                        }
                        r.nextString();
                    }
                    r.endObject();
                    continue;
                }
                if (infos.size() == MAX_TENSORS) {
                    throw new CheckpointException(source + " is refused: its safetensors header lists more than "
                            + MAX_TENSORS + " tensors (fx4j's bound: an eighth of the pickle object bound, which"
                            + " scales with the heap)");
                }
                infos.add(parseInfo(name, r, source));
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new CheckpointException(source + " has a corrupt safetensors header: text after its JSON object");
            }
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            if (e instanceof CheckpointException) {
                throw (CheckpointException) e;
            }
            throw new CheckpointException(source + " has a corrupt safetensors header (at " + at + "): "
                    + BoundedText.of(String.valueOf(e.getMessage())), e);
        }
        return infos;
    }

    private static Info parseInfo(String name, JsonReader r, String source) throws IOException {
        String dtype = null;
        long[] shape = null;
        long[] offsets = null;
        r.beginObject();
        while (r.hasNext()) {
            String field = r.nextName();
            switch (field) {
                case "dtype":
                    dtype = r.nextString();
                    break;
                case "shape":
                    shape = naturals(r, name, "shape", source);
                    break;
                case "data_offsets":
                    offsets = naturals(r, name, "data_offsets", source);
                    break;
                default:
                    r.skipValue();
            }
        }
        r.endObject();
        String what = source + " has a corrupt safetensors entry for '" + BoundedText.name(name) + "': ";
        if (dtype == null || shape == null || offsets == null) {
            throw new CheckpointException(what + "it lacks " + (dtype == null ? "dtype" : shape == null ? "shape"
                    : "data_offsets"));
        }
        if (offsets.length != 2) {
            throw new CheckpointException(what + "data_offsets holds " + offsets.length + " numbers, not 2");
        }
        if (shape.length > TensorRef.MAX_RANK) {
            throw new CheckpointException(what + "its shape has " + shape.length + " dimensions, more than fx4j's"
                    + " bound of " + TensorRef.MAX_RANK);
        }
        if (!TYPES.containsKey(dtype)) {
            throw new CheckpointException(source + ": tensor '" + BoundedText.name(name) + "' has dtype " + BoundedText.of(dtype)
                    + ", which fx4j does not read; supported: " + new TreeSet<>(TYPES.keySet()));
        }
        return new Info(name, dtype, shape, offsets[0], offsets[1]);
    }

    /** An array of non-negative integers, written as such (no sign, fraction or exponent), as Rust's usize. */
    private static long[] naturals(JsonReader r, String name, String field, String source) throws IOException {
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) {
                throw new CheckpointException(source + " has a corrupt safetensors entry for '" + BoundedText.name(name) + "': " + field
                        + " holds a " + r.peek().name().toLowerCase(java.util.Locale.ROOT) + ", not an integer");
            }
            String literal = r.nextString();
            if (!literal.matches("0|[1-9][0-9]*")) {
                throw new CheckpointException(source + " has a corrupt safetensors entry for '" + BoundedText.name(name) + "': " + field
                        + " holds " + BoundedText.of(literal) + ", not a non-negative integer");
            }
            if (literal.length() > 18 && new java.math.BigInteger(literal).bitLength() > 63) {
                throw new CheckpointException(source + " has a corrupt safetensors entry for '" + BoundedText.name(name) + "': " + field
                        + " holds " + BoundedText.of(literal) + ", beyond int64");
            }
            values.add(Long.parseLong(literal));
            if (values.size() > TensorRef.MAX_RANK) {
                break;
            }
        }
        if (values.size() <= TensorRef.MAX_RANK) {
            r.endArray();
        } else {
            throw new CheckpointException(source + " has a corrupt safetensors entry for '" + BoundedText.name(name) + "': " + field
                    + " holds more than " + TensorRef.MAX_RANK + " numbers");
        }
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }

    /**
     * Writes tensors as a safetensors file (written to a temporary file, then moved into place).
     *
     * @param file the file
     * @param tensors name to array, in the order to write
     * @param metadata optional string metadata (may be empty)
     * @throws IOException if writing fails or a tensor has an unsupported type
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            // Sorted, so that the same tensors and metadata always give the same bytes.
            JsonObject meta = new JsonObject();
            new TreeMap<>(metadata).forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            String dtype = null;
            for (Map.Entry<String, DataType> t : TYPES.entrySet()) {
                if (t.getValue() == a.getDataType()) {
                    dtype = t.getKey();
                }
            }
            if (dtype == null) {
                throw new IOException("Tensor '" + e.getKey() + "' has type " + a.getDataType()
                        + ", which safetensors files of fx4j do not hold");
            }
            long bytes = a.getShape().size() * a.getDataType().getNumOfBytes();
            JsonObject entry = new JsonObject();
            entry.addProperty("dtype", dtype);
            JsonArray shape = new JsonArray();
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            entry.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offsets.add(offset + bytes);
            entry.add("data_offsets", offsets);
            header.add(e.getKey(), entry);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = new byte[padded];
        java.util.Arrays.fill(headerBytes, (byte) ' ');
        System.arraycopy(json, 0, headerBytes, 0, json.length);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
                out.write(len.array());
                out.write(headerBytes);
                byte[] chunk = new byte[1 << 20];
                for (NDArray a : tensors.values()) {
                    ByteBuffer data = a.toByteBuffer();
                    while (data.hasRemaining()) {
                        int n = Math.min(chunk.length, data.remaining());
                        data.get(chunk, 0, n);
                        out.write(chunk, 0, n);
                    }
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
