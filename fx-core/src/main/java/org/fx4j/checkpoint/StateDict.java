package org.fx4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Tensors read from a checkpoint, by state-dict key, in file order. It owns them (in a sub-manager
 * of the manager it was read with) until they are loaded into a model or it is closed.
 */
public final class StateDict implements AutoCloseable {

    private final NDManager manager;
    private final Map<String, NDArray> tensors;
    private final String source;
    private final Map<String, String> widened;

    StateDict(NDManager manager, Map<String, NDArray> tensors, String source, Map<String, String> widened) {
        this.manager = manager;
        this.tensors = tensors;
        this.source = source;
        this.widened = widened;
    }

    /**
     * Returns the tensors whose type reading widened, exactly, because DJL has no array of their
     * stored type: bfloat16 to float32, int16 to int32.
     *
     * @return key to the stored type as the file names it (e.g. {@code BFloat16Storage}, {@code BF16}), in file order
     */
    public Map<String, String> widened() {
        return Collections.unmodifiableMap(widened);
    }

    /**
     * Returns the keys, in file order.
     *
     * @return the keys
     */
    public Set<String> keys() {
        return Collections.unmodifiableSet(tensors.keySet());
    }

    /**
     * Returns the tensors by key (still owned by this state dict).
     *
     * @return an unmodifiable ordered map
     */
    public Map<String, NDArray> tensors() {
        return Collections.unmodifiableMap(tensors);
    }

    /**
     * Returns one tensor.
     *
     * @param key a state-dict key
     * @return the tensor, or null
     */
    public NDArray get(String key) {
        return tensors.get(key);
    }

    /**
     * Returns the number of tensors.
     *
     * @return the size
     */
    public int size() {
        return tensors.size();
    }

    /**
     * Returns a description of where the tensors came from (file and format).
     *
     * @return the source
     */
    public String source() {
        return source;
    }

    /**
     * Returns the total size of the tensors in bytes.
     *
     * @return bytes
     */
    public long bytes() {
        long n = 0;
        for (NDArray a : tensors.values()) {
            n += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return n;
    }

    /** Hands a tensor over to a new owner (used when loading into a model). */
    NDArray take(String key, NDManager owner) {
        NDArray a = tensors.remove(key);
        if (a != null) {
            a.attach(owner);
        }
        return a;
    }

    static Map<String, NDArray> newMap() {
        return new LinkedHashMap<>();
    }

    /** Closes every tensor not handed over. */
    @Override
    public void close() {
        tensors.clear();
        manager.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "StateDict(" + tensors.size() + " tensors from " + source + ")";
    }
}
