package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;

/**
 * A tensor of a checkpoint, known by its shape and type before any of its bytes are read: loading
 * checks keys, shapes and memory first, and materialises only what it will keep.
 */
interface LazyTensor {

    /** The tensor's shape. */
    Shape shape();

    /** The element type stored in the file (bfloat16 and int16 included). */
    DataType storedType();

    /** The name of the stored type as the file spells it (e.g. {@code BFloat16Storage}, {@code BF16}, {@code <f8}). */
    String storedTypeName();

    /** The type of the array reading makes: bfloat16 widens to float32, int16 to int32 (exact). */
    default DataType arrayType() {
        DataType t = storedType();
        return t == DataType.BFLOAT16 ? DataType.FLOAT32 : t == DataType.INT16 ? DataType.INT32 : t;
    }

    /**
     * The bytes of the array reading makes.
     *
     * @throws ArithmeticException if the count overflows int64
     */
    default long arrayBytes() {
        return Math.multiplyExact(shape().size(), (long) arrayType().getNumOfBytes());
    }

    /**
     * Reads the tensor into a new array.
     *
     * @param manager the array's manager
     * @param what the tensor as error messages name it (file and key)
     * @return the array, of {@link #arrayType()}
     * @throws IOException naming {@code what} if the bytes cannot be read
     */
    NDArray read(NDManager manager, String what) throws IOException;
}
