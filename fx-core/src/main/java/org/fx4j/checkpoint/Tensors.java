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
        if (ref.numel() == 0) {
            return manager.create(new Shape(ref.size), widened(type)); // reads nothing, wherever it starts
        }
        if (ref.extent() > storageElements) {
            throw new CheckpointException(what + " reads elements up to " + ref.extent() + " of a storage holding "
                    + storageElements + "; the file is truncated or corrupt");
        }
        Shape shape = new Shape(ref.size);
        long numel = ref.numel();
        if (ref.isContiguous()) {
            return fromBytes(manager, slice(storage, ref.storageOffset * es, numel * es), type, shape, numel, what);
        }
        // A strided view: gather the elements of the dimensions that move (stride > 0), then expand the
        // dimensions of stride 0 natively, so that a broadcast view costs no Java memory.
        long[] moving = ref.size.clone();
        boolean broadcast = false;
        for (int d = 0; d < moving.length; d++) {
            if (ref.stride[d] == 0 && moving[d] > 1) {
                moving[d] = 1;
                broadcast = true;
            }
        }
        Shape gatheredShape = new Shape(moving);
        long gatheredNumel = gatheredShape.size();
        ByteBuffer data = gather(storage, es, ref, moving, gatheredNumel, what);
        NDArray gathered = fromBytes(manager, data, type, gatheredShape, gatheredNumel, what);
        if (!broadcast) {
            return gathered;
        }
        try (NDArray view = gathered.broadcast(shape)) {
            return view.duplicate();
        } finally {
            gathered.close();
        }
    }

    private static DataType widened(DataType type) {
        return type == DataType.BFLOAT16 ? DataType.FLOAT32 : type == DataType.INT16 ? DataType.INT32 : type;
    }

    /** An array (owning a native copy) of little-endian bytes, bfloat16 and int16 widened exactly. */
    private static NDArray fromBytes(NDManager manager, ByteBuffer data, DataType type, Shape shape, long numel,
            String what) throws CheckpointException {
        DataType stored = type;
        if (type == DataType.BFLOAT16) {
            // DJL's PyTorch engine has no bfloat16 arrays: widen to float32 (exact).
            data = widen(data, numel, true, what);
            stored = DataType.FLOAT32;
        } else if (type == DataType.INT16) {
            // ... nor int16 ones: widen to int32 (exact).
            data = widen(data, numel, false, what);
            stored = DataType.INT32;
        }
        try (NDArray view = manager.create(data, shape, stored)) {
            return view.duplicate();
        }
    }

    private static ByteBuffer widen(ByteBuffer src, long numel, boolean bfloat16, String what)
            throws CheckpointException {
        ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = allocateDirect(numel * 4, what);
        for (long i = 0; i < numel; i++) {
            out.putInt(bfloat16 ? (in.getShort() & 0xffff) << 16 : in.getShort());
        }
        out.flip();
        return out;
    }

    /**
     * A direct buffer for {@code bytes}, refused with a message (not an {@code OutOfMemoryError}) when
     * one buffer cannot hold it or the JVM's direct memory is exhausted.
     */
    static ByteBuffer allocateDirect(long bytes, String what) throws CheckpointException {
        if (bytes > Integer.MAX_VALUE) {
            throw new CheckpointException(String.format(java.util.Locale.ROOT, "%s needs a %.2f GiB buffer; fx4j"
                    + " reads tensors of up to 2 GiB each", what, bytes / (double) (1L << 30)));
        }
        try {
            return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        } catch (OutOfMemoryError e) {
            throw new CheckpointException(String.format(java.util.Locale.ROOT, "%s needs %.1f MB of direct memory,"
                    + " which the JVM cannot give; raise -XX:MaxDirectMemorySize or -Xmx", what, bytes / 1e6), e);
        }
    }

    static ByteBuffer slice(ByteBuffer buffer, long start, long length) {
        ByteBuffer d = buffer.duplicate();
        d.position(Math.toIntExact(start));
        d.limit(Math.toIntExact(start + length));
        return d.slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static ByteBuffer gather(ByteBuffer storage, int es, TensorRef ref, long[] sizes, long numel, String what)
            throws CheckpointException {
        ByteBuffer out = allocateDirect(numel * es, what);
        int rank = sizes.length;
        long[] index = new long[rank];
        byte[] element = new byte[es];
        ByteBuffer src = storage.duplicate();
        for (long n = 0; n < numel; n++) {
            long offset = ref.storageOffset;
            for (int d = 0; d < rank; d++) {
                offset += index[d] * ref.stride[d];
            }
            src.position((int) (offset * es));
            src.get(element);
            out.put(element);
            for (int d = rank - 1; d >= 0; d--) {
                if (++index[d] < sizes[d]) {
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
