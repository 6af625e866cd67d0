package org.fx4j.checkpoint;

import ai.djl.ndarray.types.DataType;

/**
 * A tensor found in a pickled checkpoint: a view ({@code storageOffset}, {@code size}, {@code
 * stride}, in elements) of a storage that is read later.
 */
final class TensorRef {

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

    TensorRef(StorageRef storage, long storageOffset, long[] size, long[] stride) {
        this.storage = storage;
        this.storageOffset = storageOffset;
        this.size = size;
        this.stride = stride;
    }

    long numel() {
        long n = 1;
        for (long s : size) {
            n *= s;
        }
        return n;
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

    /** The largest element index (exclusive) this view reads in its storage. */
    long extent() {
        if (numel() == 0) {
            return storageOffset;
        }
        long last = storageOffset;
        for (int i = 0; i < size.length; i++) {
            last += (size[i] - 1) * stride[i];
        }
        return last + 1;
    }
}
