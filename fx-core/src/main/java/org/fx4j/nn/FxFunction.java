package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * A named function over arrays that the tracer understands.
 *
 * <p>Called with real arrays it simply runs. Called with symbolic arrays while tracing, an
 * <em>atomic</em> function (every op of {@code org.fx4j.nn.F}) records one {@code call_function}
 * node; a non-atomic function is traced through (its body runs on the symbolic values, recording
 * the ops inside) unless it is declared autowrapped in {@code TraceOptions}, in which case it too
 * records one node, like {@code torch.fx}'s {@code autowrap_functions}. Autowrap functions whose
 * bodies read data or shapes, which cannot be traced through.
 *
 * <pre>{@code
 * static final FxFunction CLAMP_TO_MEAN = FxFunction.of("clamp_to_mean",
 *         args -> { NDArray x = (NDArray) args[0]; return x.minimum(x.mean().getFloat()); });
 * }</pre>
 */
public final class FxFunction {

    /** The body of a function: real arrays in, one real array out. */
    @FunctionalInterface
    public interface Body {
        /**
         * Computes the function.
         *
         * @param args the arguments (arrays, numbers, lists of arrays, ...)
         * @return the result
         */
        NDArray apply(Object[] args);
    }

    private final String name;
    private final Body body;
    private final boolean atomic;

    private FxFunction(String name, Body body, boolean atomic) {
        if (name == null || !name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException(
                    "Function name '" + name + "' must be an identifier ([A-Za-z_][A-Za-z0-9_]*); it becomes the node name");
        }
        this.name = name;
        this.body = Objects.requireNonNull(body, "body");
        this.atomic = atomic;
    }

    /**
     * Creates a function that is traced through unless autowrapped.
     *
     * @param name the node name while tracing ({@code my_fn}, then {@code my_fn_1}, ...)
     * @param body the computation
     * @return the function
     */
    public static FxFunction of(String name, Body body) {
        return new FxFunction(name, body, false);
    }

    /**
     * Creates a function that always records as one {@code call_function} node.
     *
     * @param name the node name while tracing
     * @param body the computation
     * @return the function
     */
    public static FxFunction atomic(String name, Body body) {
        return new FxFunction(name, body, true);
    }

    /**
     * Returns the node name of this function.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns whether this function always records as one node.
     *
     * @return true for functional ops
     */
    public boolean isAtomic() {
        return atomic;
    }

    /**
     * Applies the function: computes it on real arrays, records or traces it on symbolic ones.
     *
     * @param args the arguments
     * @return the result (symbolic while tracing)
     */
    public NDArray apply(Object... args) {
        Recorder recorder = Symbolic.recorderOf(args);
        if (recorder == null) {
            return body.apply(args);
        }
        if (atomic || recorder.isAutowrapped(this)) {
            return recorder.recordFunction(this, args);
        }
        return body.apply(args);
    }

    /**
     * Runs the body on real arrays, bypassing tracing.
     *
     * @param args the arguments
     * @return the result
     */
    public NDArray compute(Object[] args) {
        return body.apply(args);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return name;
    }
}
