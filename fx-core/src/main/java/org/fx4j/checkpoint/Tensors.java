package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Turns stored bytes into native arrays with one copy, and checks memory before loading. */
final class Tensors {

    private Tensors() {}

    /**
     * Creates an array from a view of a little-endian storage. The result owns its memory (a libtorch
     * copy); the storage buffer (often a read-only file mapping) is not referenced afterwards.
     */
    static NDArray create(NDManager manager, ByteBuffer storage, DataType type, TensorRef ref, String what)
            throws CheckpointException {
        int es = type.getNumOfBytes();
        long storageElements = storage.capacity() / es;
        if (ref.extent() > storageElements || ref.storageOffset < 0) {
            throw new CheckpointException(what + " reads elements up to " + ref.extent() + " of a storage holding "
                    + storageElements + "; the file is truncated or corrupt");
        }
        Shape shape = new Shape(ref.size);
        long numel = ref.numel();
        ByteBuffer data;
        if (ref.isContiguous()) {
            data = slice(storage, ref.storageOffset * es, numel * es);
        } else {
            data = gather(storage, es, ref);
        }
        DataType stored = type;
        if (type == DataType.BFLOAT16) {
            // DJL's PyTorch engine has no bfloat16 arrays: widen to float32 (exact).
            data = widenBfloat16(data, numel);
            stored = DataType.FLOAT32;
        } else if (type == DataType.INT16) {
            // ... nor int16 ones: widen to int32 (exact).
            data = widenInt16(data, numel);
            stored = DataType.INT32;
        }
        if (numel == 0) {
            return manager.create(shape, stored);
        }
        try (NDArray view = manager.create(data, shape, stored)) {
            return view.duplicate();
        }
    }

    private static ByteBuffer widenBfloat16(ByteBuffer src, long numel) {
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(numel * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < numel; i++) {
            out.putInt((in.getShort() & 0xffff) << 16);
        }
        out.flip();
        return out;
    }

    private static ByteBuffer widenInt16(ByteBuffer src, long numel) {
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(numel * 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < numel; i++) {
            out.putInt(in.getShort());
        }
        out.flip();
        return out;
    }

    static ByteBuffer slice(ByteBuffer buffer, long start, long length) {
        ByteBuffer d = buffer.duplicate();
        d.position(Math.toIntExact(start));
        d.limit(Math.toIntExact(start + length));
        return d.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer gather(ByteBuffer storage, int es, TensorRef ref) {
        long numel = ref.numel();
        ByteBuffer out = ByteBuffer.allocateDirect(Math.toIntExact(numel * es)).order(ByteOrder.LITTLE_ENDIAN);
        int rank = ref.size.length;
        long[] index = new long[rank];
        byte[] element = new byte[es];
        ByteBuffer src = storage.duplicate();
        for (long n = 0; n < numel; n++) {
            long offset = ref.storageOffset;
            for (int d = 0; d < rank; d++) {
                offset += index[d] * ref.stride[d];
            }
            src.position(Math.toIntExact(offset * es));
            src.get(element);
            out.put(element);
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < ref.size[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
        out.flip();
        return out;
    }

    /** Fails, naming the file, if loading {@code bytes} would not fit in the memory available now. */
    static void ensureMemory(long bytes, String what) throws CheckpointException {
        long available = availableMemory();
        if (available > 0 && bytes > available) {
            throw new CheckpointException(String.format(java.util.Locale.ROOT,
                    "%s holds %.1f MB of tensors but only %.1f MB of memory is available; free memory or load"
                            + " on a larger machine", what, bytes / 1e6, available / 1e6));
        }
    }

    private static long availableMemory() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/meminfo"));
            for (String line : lines) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof com.sun.management.OperatingSystemMXBean) {
            return ((com.sun.management.OperatingSystemMXBean) os).getFreeMemorySize();
        }
        return -1;
    }
}
