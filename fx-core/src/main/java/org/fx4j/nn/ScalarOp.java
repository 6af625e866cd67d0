package org.fx4j.nn;

import java.util.function.Function;

/**
 * A shape computation or check that the tracer records as one node, named as torch.fx names it:
 * {@code getattr} ({@code x.shape}), {@code getitem} (one size of a shape), the methods {@code size}
 * and {@code dim}, the operators {@code add}, {@code sub}, {@code mul}, {@code floordiv} and {@code
 * eq}, and {@code _assert}. Created by {@link SymInt}, {@link SymShape} and {@link SymBool}.
 */
public final class ScalarOp {

    /** What an operation produces. */
    public enum Result {
        /** An integer ({@link SymInt}; a {@code Long} in a running graph). */
        INT,
        /** A truth value ({@link SymBool}; a {@code Boolean} in a running graph). */
        BOOL,
        /** A shape ({@link SymShape}; a DJL {@code Shape} in a running graph). */
        SHAPE,
        /** Nothing: a check, which dead-code elimination keeps. */
        NONE;

        /**
         * Wraps the symbolic result of a recorded operation.
         *
         * @param recorder the trace's recorder
         * @param node the recorded node
         * @return the symbolic value, or null for {@link #NONE}
         */
        public SymValue symbolic(Recorder recorder, Object node) {
            switch (this) {
                case INT:
                    return new SymInt(0L, recorder, node);
                case BOOL:
                    return new SymBool(false, recorder, node);
                case SHAPE:
                    return new SymShape(null, recorder, node);
                case NONE:
                default:
                    return null;
            }
        }

        SymValue concrete(Object raw) {
            switch (this) {
                case INT:
                    return SymInt.of((Long) raw);
                case BOOL:
                    return SymBool.of((Boolean) raw);
                case SHAPE:
                    return SymShape.of((ai.djl.ndarray.types.Shape) raw);
                case NONE:
                default:
                    return null;
            }
        }
    }

    private final String name;
    private final boolean method;
    private final Result result;
    private final Function<Object[], Object> body;

    ScalarOp(String name, boolean method, Result result, Function<Object[], Object> body) {
        this.name = name;
        this.method = method;
        this.result = result;
        this.body = body;
    }

    /**
     * Returns the node name torch.fx gives this operation.
     *
     * @return e.g. {@code getitem}, {@code floordiv}
     */
    public String name() {
        return name;
    }

    /**
     * Returns whether torch.fx records this operation as a method call ({@code size}, {@code dim})
     * rather than a function call.
     *
     * @return true for {@code call_method} nodes
     */
    public boolean isMethod() {
        return method;
    }

    /**
     * Returns what this operation produces.
     *
     * @return the result kind
     */
    public Result result() {
        return result;
    }

    /**
     * Returns whether dead-code elimination must keep this node although nothing reads it.
     *
     * @return true for checks ({@code _assert})
     */
    public boolean hasSideEffect() {
        return result == Result.NONE;
    }

    /**
     * Computes the operation on concrete values ({@code Long}, {@code Boolean}, {@code Shape},
     * arrays, or concrete {@link SymValue}s).
     *
     * @param args the arguments
     * @return a {@code Long}, {@code Boolean}, {@code Shape}, or null for checks
     */
    public Object compute(Object[] args) {
        Object[] raw = new Object[args.length];
        for (int i = 0; i < args.length; i++) {
            raw[i] = args[i] instanceof SymValue ? ((SymValue) args[i]).raw() : args[i];
        }
        return body.apply(raw);
    }

    /** Records the operation while tracing, computes it otherwise. */
    SymValue apply(Object... args) {
        Recorder recorder = Symbolic.recorderOf(args);
        if (recorder != null) {
            return recorder.recordScalar(this, args);
        }
        return result.concrete(compute(args));
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return name;
    }
}
