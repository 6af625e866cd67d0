package org.fx4j.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.HashMap;
import java.util.Map;

/**
 * Read-only memory mappings of a file, few whatever the number of records in it: a file of up to
 * 2 GiB is mapped once; a bigger one in overlapping 1 GiB windows every 512 MiB (a record of up to
 * 512 MiB lies whole in one of them), and a record bigger than that gets its own mapping. So a file
 * of 70 000 records costs one mapping, not 70 000 (the kernel allows about 65 000 per process, and
 * running out aborts the JVM).
 */
final class FileWindows {

    private static final long HALF = 1L << 29;

    private final FileChannel channel;
    private final String source;
    private final long size;
    private final Map<Long, ByteBuffer> windows = new HashMap<>();

    FileWindows(FileChannel channel, String source) throws IOException {
        this.channel = channel;
        this.source = source;
        this.size = channel.size();
    }

    /**
     * Returns {@code length} bytes at {@code offset} (little-endian, read-only).
     *
     * @throws CheckpointException if the range is outside the file, over 2 GiB, or cannot be mapped
     */
    ByteBuffer slice(long offset, long length) throws CheckpointException {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new CheckpointException(source + " is truncated: " + length + " bytes at offset " + offset
                    + " lie past its end (" + size + " bytes)");
        }
        if (length > Integer.MAX_VALUE) {
            throw new CheckpointException(source + ": a record of " + length + " bytes; fx4j reads records (one tensor"
                    + " storage each) of up to 2 GiB");
        }
        if (size <= Integer.MAX_VALUE) {
            return Tensors.slice(window(0, size), offset, length);
        }
        if (length > HALF) {
            return map(offset, length);
        }
        long start = offset / HALF * HALF;
        return Tensors.slice(window(start, Math.min(2 * HALF, size - start)), offset - start, length);
    }

    private ByteBuffer window(long start, long length) throws CheckpointException {
        ByteBuffer w = windows.get(start);
        if (w == null) {
            w = map(start, length);
            windows.put(start, w);
        }
        return w;
    }

    private ByteBuffer map(long start, long length) throws CheckpointException {
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, start, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException | OutOfMemoryError e) {
            throw new CheckpointException(source + ": cannot map " + length + " bytes at offset " + start + " ("
                    + e.getMessage() + ")", e);
        }
    }
}
