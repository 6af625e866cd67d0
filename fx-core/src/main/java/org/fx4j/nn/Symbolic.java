package org.fx4j.nn;

import ai.djl.ndarray.NDList;
import java.util.Collection;
import java.util.Map;

/** Helpers for code that must behave differently while being traced. */
public final class Symbolic {

    private Symbolic() {}

    /**
     * Returns whether a value is a symbolic array or a symbolic size of an ongoing trace, for
     * example to skip an input-shape check that cannot run without data.
     *
     * @param value any value
     * @return true for symbolic values
     */
    public static boolean isSymbolic(Object value) {
        return value instanceof SymbolicArray || value instanceof SymValue && ((SymValue) value).isSymbolic();
    }

    /**
     * Returns the recorder of the first symbolic value found in a value or in the containers it
     * holds ({@code NDList}, lists, maps, object arrays), or null when there is none.
     *
     * @param value any value
     * @return the recorder, or null outside tracing
     */
    public static Recorder recorderOf(Object value) {
        if (value instanceof SymbolicArray) {
            return ((SymbolicArray) value).recorder();
        }
        if (value instanceof SymValue) {
            return ((SymValue) value).recorder();
        }
        if (value instanceof NDList || value instanceof Collection) {
            for (Object o : (Collection<?>) value) {
                Recorder r = recorderOf(o);
                if (r != null) {
                    return r;
                }
            }
        } else if (value instanceof Map) {
            return recorderOf(((Map<?, ?>) value).values());
        } else if (value instanceof Object[]) {
            for (Object o : (Object[]) value) {
                Recorder r = recorderOf(o);
                if (r != null) {
                    return r;
                }
            }
        }
        return null;
    }
}
