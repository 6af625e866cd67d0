package org.fx4j.nn;

/**
 * A value computed from array shapes ({@link SymInt}, {@link SymBool}, {@link SymShape}): a plain
 * value when a model runs, a graph node while it is traced, so the traced graph recomputes it for
 * every input.
 */
public abstract class SymValue {

    private final Object value;
    private final Recorder recorder;
    private final Object node;

    SymValue(Object value, Recorder recorder, Object node) {
        this.value = value;
        this.recorder = recorder;
        this.node = node;
    }

    /**
     * Returns whether this value is symbolic (recorded in an ongoing trace).
     *
     * @return true while tracing
     */
    public final boolean isSymbolic() {
        return node != null;
    }

    /**
     * Returns the graph node that stands for this value while tracing; for the tracer.
     *
     * @return the node, or null for a concrete value
     */
    public final Object node() {
        return node;
    }

    /**
     * Returns the recorder of the trace this value belongs to.
     *
     * @return the recorder, or null for a concrete value
     */
    public final Recorder recorder() {
        return recorder;
    }

    /** The concrete value; fails while tracing with a message that names the remedy. */
    final Object raw() {
        if (node != null) {
            throw new TraceException(getClass().getSimpleName() + " '" + recorder.nameOf(node) + "' is symbolic while"
                    + " tracing and has no value. Keep it symbolic (its operations, F.reshape and F.expand accept it;"
                    + " check it with SymBool.check), declare the module that needs the number a leaf"
                    + " (TraceOptions.builder().leafModules(TheModule.class)), or move the code into an FxFunction and"
                    + " autowrap it (TraceOptions.builder().autowrapFunctions(fn)).");
        }
        return value;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return node != null ? getClass().getSimpleName() + "(" + recorder.nameOf(node) + ")" : String.valueOf(value);
    }
}
