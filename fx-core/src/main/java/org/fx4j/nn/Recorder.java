package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/**
 * What a symbolic tracer offers the code it traces: recording functions and shape computations as
 * graph nodes. Implemented by the symbolic tracer; model code never calls it directly, it
 * uses {@link F}, {@link FxFunction}, {@link SymInt}, {@link SymShape} and {@link SymBool}, which
 * find the recorder through their symbolic arguments ({@link Symbolic#recorderOf}).
 */
public interface Recorder {

    /**
     * Returns whether a non-atomic function is to be recorded as one node (autowrapped).
     *
     * @param function the function
     * @return true if declared in the trace options' autowrap functions
     */
    boolean isAutowrapped(FxFunction function);

    /**
     * Records one {@code call_function} node.
     *
     * @param function the function
     * @param args its arguments (symbolic values, constants and containers of those)
     * @return the symbolic result
     */
    NDArray recordFunction(FxFunction function, Object[] args);

    /**
     * Records a shape computation or check ({@code getattr(x, "shape")}, {@code getitem}, {@code
     * eq}, {@code _assert}, ...).
     *
     * @param op the operation
     * @param args its arguments
     * @return the symbolic result ({@link SymInt}, {@link SymBool}, {@link SymShape}), or null for
     *     checks
     */
    SymValue recordScalar(ScalarOp op, Object[] args);

    /**
     * Returns the name of a recorded node, for messages.
     *
     * @param node a node of this trace
     * @return its qualified name
     */
    default String nameOf(Object node) {
        return String.valueOf(node);
    }
}
