package org.fx4j.nn;

/**
 * Thrown when a model cannot be traced symbolically, for example because its code reads the data
 * or the shape of a symbolic value. The message names the node being traced and the remedies: a
 * leaf module, an autowrapped function, or a functional op from {@code org.fx4j.nn.F}.
 */
public class TraceException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what went wrong and how to fix it
     */
    public TraceException(String message) {
        super(message);
    }
}
