package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint's tensors by state-dict key, in file order, described but not yet read. Every
 * declared size has been checked against the file; {@link #materialize} checks memory before it
 * reads anything.
 */
final class TensorIndex {

    /** The largest tensor fx4j reads (one Java buffer's worth). */
    static final long MAX_TENSOR_BYTES = Integer.MAX_VALUE;

    private final Map<String, LazyTensor> tensors;
    private final String source;

    /**
     * @param tensors the tensors by key, in file order
     * @param source the file and its format, as messages name them
     */
    TensorIndex(Map<String, LazyTensor> tensors, String source) {
        this.tensors = tensors;
        this.source = source;
    }

    Map<String, LazyTensor> tensors() {
        return tensors;
    }

    String source() {
        return source;
    }

    Map<String, Shape> shapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        tensors.forEach((k, t) -> out.put(k, t.shape()));
        return out;
    }

    /**
     * Reads some tensors (in file order) into a state dict, after checking that they fit in memory.
     *
     * @param keys the keys to read (all of them: {@code tensors().keySet()})
     * @param manager the parent manager of the state dict
     * @return the state dict
     * @throws IOException naming the file and the tensor that could not be read
     */
    StateDict materialize(Collection<String> keys, NDManager manager) throws IOException {
        long bytes = 0;
        for (Map.Entry<String, LazyTensor> e : tensors.entrySet()) {
            if (keys.contains(e.getKey())) {
                long one;
                try {
                    one = e.getValue().arrayBytes();
                    bytes = Math.addExact(bytes, one);
                } catch (ArithmeticException overflow) {
                    throw new CheckpointException(source + ": tensor '" + BoundedText.name(e.getKey()) + "' of shape "
                            + e.getValue().shape() + " has a byte count that overflows int64");
                }
                long stride = 1;
                long[] dims = e.getValue().shape().getShape();
                for (int d = dims.length - 1; d > 0; d--) {
                    try {
                        stride = Math.multiplyExact(stride, Math.max(dims[d], 1));
                    } catch (ArithmeticException overflow) {
                        throw new CheckpointException(source + ": tensor '" + BoundedText.name(e.getKey())
                                + "' has shape " + e.getValue().shape() + ", whose contiguous strides overflow int64;"
                                + " libtorch cannot make it (even empty)");
                    }
                }
                if (one > MAX_TENSOR_BYTES) {
                    // DJL makes an array from one Java buffer, and a broadcast view would be materialised whole.
                    throw new CheckpointException(String.format(java.util.Locale.ROOT, "%s: tensor '%s' of shape %s"
                            + " needs %.2f GiB; fx4j reads tensors of up to 2 GiB each", source,
                            BoundedText.name(e.getKey()), e.getValue().shape(), one / (double) (1L << 30)));
                }
            }
        }
        Tensors.ensureMemory(bytes, source);
        NDManager owner = manager.newSubManager();
        Map<String, NDArray> arrays = StateDict.newMap();
        Map<String, String> widened = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, LazyTensor> e : tensors.entrySet()) {
                if (!keys.contains(e.getKey())) {
                    continue;
                }
                LazyTensor t = e.getValue();
                NDArray a = t.read(owner, source + ": tensor '" + BoundedText.name(e.getKey()) + "'");
                a.setName(e.getKey());
                arrays.put(e.getKey(), a);
                if (t.arrayType() != t.storedType()) {
                    widened.put(e.getKey(), t.storedTypeName());
                }
            }
        } catch (IOException | RuntimeException e) {
            owner.close();
            throw e;
        }
        return new StateDict(owner, arrays, source, widened);
    }
}
