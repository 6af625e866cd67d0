package org.fx4j.checkpoint;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * A tensor found in a checkpoint: a view ({@code storageOffset}, {@code size}, {@code stride}, in
 * elements) of a storage that is read later. {@link #checked} refuses what torch refuses (negative
 * sizes, strides and offsets, element and byte counts that overflow int64) and views that reach past
 * their storage.
 */
final class TensorRef {

    /** The most dimensions a tensor of a checkpoint may have. */
    static final int MAX_RANK = 64;

    /** A storage of a checkpoint: its key, element type and element count. */
    static final class StorageRef {
        final String key;
        final DataType dataType;
        final String typeName;
        final long numel;

        StorageRef(String key, DataType dataType, String typeName, long numel) {
            this.key = key;
            this.dataType = dataType;
            this.typeName = typeName;
            this.numel = numel;
        }
    }

    final StorageRef storage;
    final long storageOffset;
    final long[] size;
    final long[] stride;
    private final long numel;
    private final long extent;

    private TensorRef(StorageRef storage, long storageOffset, long[] size, long[] stride, long numel, long extent) {
        this.storage = storage;
        this.storageOffset = storageOffset;
        this.size = size;
        this.stride = stride;
        this.numel = numel;
        this.extent = extent;
    }

    /**
     * Validates a view of a storage.
     *
     * @throws CheckpointException naming the source if torch would refuse the view or it reads past its storage
     */
    static TensorRef checked(StorageRef storage, long storageOffset, long[] size, long[] stride, String source)
            throws CheckpointException {
        String what = source + " is corrupt: a tensor of size " + Arrays.toString(size) + " and stride "
                + Arrays.toString(stride) + " at offset " + storageOffset + " of storage '" + BoundedText.name(storage.key)
                + "'";
        if (size.length != stride.length) {
            throw new CheckpointException(what + ": size and stride differ in rank");
        }
        if (storageOffset < 0) {
            throw new CheckpointException(what + ": invalid storage offset " + storageOffset + " (torch refuses it)");
        }
        long numel = 1;
        long extent = storageOffset;
        try {
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0) {
                    throw new CheckpointException(what + ": negative size " + size[i] + " (torch refuses it)");
                }
                if (stride[i] < 0) {
                    throw new CheckpointException(what + ": negative stride " + stride[i] + " (torch refuses it)");
                }
                numel = Math.multiplyExact(numel, size[i]);
            }
            Math.multiplyExact(numel, (long) storage.dataType.getNumOfBytes());
            if (numel > 0) {
                for (int i = 0; i < size.length; i++) {
                    extent = Math.addExact(extent, Math.multiplyExact(size[i] - 1, stride[i]));
                }
                extent = Math.addExact(extent, 1);
            }
        } catch (ArithmeticException e) {
            throw new CheckpointException(what + ": its storage size calculation overflows int64 (torch refuses it)");
        }
        if (numel > 0 && extent > storage.numel) { // an empty view reads nothing, wherever it starts (as torch)
            throw new CheckpointException(what + " reads elements up to " + extent + " of a storage of " + storage.numel
                    + " (" + storage.typeName + ")");
        }
        return new TensorRef(storage, storageOffset, size, stride, numel, extent);
    }

    long numel() {
        return numel;
    }

    /** The largest element index (exclusive) this view reads in its storage. */
    long extent() {
        return extent;
    }

    boolean isContiguous() {
        long expected = 1;
        for (int i = size.length - 1; i >= 0; i--) {
            if (size[i] != 1 && stride[i] != expected) {
                return false;
            }
            expected *= size[i];
        }
        return true;
    }
}
