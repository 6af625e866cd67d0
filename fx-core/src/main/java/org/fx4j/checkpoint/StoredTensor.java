package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;

/** A view of a storage (torch.save, safetensors), read from its storage's bytes when asked. */
final class StoredTensor implements LazyTensor {

    /** Maps a storage's bytes on demand (a zip entry, a slice of the file). */
    interface StorageBytes {
        ByteBuffer map(TensorRef.StorageRef storage) throws IOException;
    }

    private final TensorRef ref;
    private final StorageBytes bytes;

    StoredTensor(TensorRef ref, StorageBytes bytes) {
        this.ref = ref;
        this.bytes = bytes;
    }

    TensorRef ref() {
        return ref;
    }

    @Override
    public Shape shape() {
        return new Shape(ref.size);
    }

    @Override
    public DataType storedType() {
        return ref.storage.dataType;
    }

    @Override
    public String storedTypeName() {
        return ref.storage.typeName;
    }

    @Override
    public NDArray read(NDManager manager, String what) throws IOException {
        return Tensors.create(manager, bytes.map(ref.storage), ref.storage.dataType, ref, what);
    }
}
