package org.fx4j.fx;

/** Helpers for model code that must behave differently while being traced. */
public final class Symbolic {

    private Symbolic() {}

    /**
     * Returns whether a value is a symbolic array of an ongoing trace, for example to skip an
     * input-shape check that cannot run without data.
     *
     * @param value any value
     * @return true for symbolic arrays
     */
    public static boolean isSymbolic(Object value) {
        return SymbolicValue.isSymbolic(value);
    }
}
