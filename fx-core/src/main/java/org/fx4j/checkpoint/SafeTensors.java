package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

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

    static StateDict read(FileChannel channel, String source, NDManager manager, CheckpointOptions options)
            throws IOException {
        long size = channel.size();
        if (size < 8) {
            throw new CheckpointException(source + " is truncated: shorter than a safetensors header");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        channel.read(lenBuf, 0);
        long headerLength = lenBuf.getLong(0);
        if (headerLength <= 0 || headerLength > 100_000_000L || 8 + headerLength > size) {
            throw new CheckpointException(source + " is truncated or not safetensors: header length " + headerLength
                    + " does not fit in " + size + " bytes");
        }
        ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLength);
        channel.read(headerBuf, 8);
        JsonObject header;
        try {
            header = JsonParser.parseString(new String(headerBuf.array(), StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (JsonParseException | IllegalStateException e) {
            throw new CheckpointException(source + " has a corrupt safetensors header: " + e.getMessage(), e);
        }
        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;
        Map<String, TensorRef> refs = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            refs.put(e.getKey(), parse(e.getKey(), e.getValue(), dataSize, source));
        }
        refs = TorchCheckpointReader.stripPrefix(refs, options.prefix(), source);
        // One mapping of the data section when it fits a buffer (2 GiB), else one mapping per tensor.
        ByteBuffer data = dataSize > Integer.MAX_VALUE ? null
                : channel.map(FileChannel.MapMode.READ_ONLY, dataStart, dataSize).order(ByteOrder.LITTLE_ENDIAN);
        Map<String, ByteBuffer> buffers = new HashMap<>();
        for (TensorRef r : refs.values()) {
            long begin = Long.parseLong(r.storage.key);
            long bytes = r.storage.numel * r.storage.dataType.getNumOfBytes();
            buffers.put(r.storage.key, data != null ? Tensors.slice(data, begin, bytes)
                    : channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, bytes).order(ByteOrder.LITTLE_ENDIAN));
        }
        return TorchCheckpointReader.materialize(refs, buffers, source + " (safetensors)", manager);
    }

    private static TensorRef parse(String name, JsonElement el, long dataSize, String source) throws CheckpointException {
        try {
            JsonObject o = el.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            DataType type = TYPES.get(dtype);
            if (type == null) {
                throw new CheckpointException(source + ": tensor '" + name + "' has dtype " + dtype
                        + ", which fx4j does not read; supported: " + TYPES.keySet());
            }
            JsonArray shapeJson = o.getAsJsonArray("shape");
            long[] shape = new long[shapeJson.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
                numel *= shape[i];
            }
            JsonArray offsets = o.getAsJsonArray("data_offsets");
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw new CheckpointException(source + " is truncated or corrupt: tensor '" + name + "' spans bytes "
                        + begin + ".." + end + " of a " + dataSize + "-byte data section");
            }
            if (end - begin != numel * type.getNumOfBytes()) {
                throw new CheckpointException(source + " is corrupt: tensor '" + name + "' of shape "
                        + java.util.Arrays.toString(shape) + " and dtype " + dtype + " needs "
                        + numel * type.getNumOfBytes() + " bytes, its offsets give " + (end - begin));
            }
            long[] stride = new long[shape.length];
            long s = 1;
            for (int i = shape.length - 1; i >= 0; i--) {
                stride[i] = s;
                s *= shape[i];
            }
            TensorRef.StorageRef storage = new TensorRef.StorageRef(Long.toString(begin), type, dtype, numel);
            return new TensorRef(storage, 0, shape, stride);
        } catch (IllegalStateException | NullPointerException | UnsupportedOperationException | IndexOutOfBoundsException e) {
            throw new CheckpointException(source + " has a corrupt safetensors entry for '" + name + "': " + el, e);
        }
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
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
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
