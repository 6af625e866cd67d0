package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Locale;

/**
 * An integer read from an array's shape that stays symbolic while tracing: fx4j's declared
 * mechanism for shape reads, which torchvision's tracer cannot follow ({@code n, c, h, w = x.shape}).
 *
 * <p>Outside tracing a {@code SymInt} simply holds the number. While tracing, {@link #size} records
 * a {@code size} node and the arithmetic records {@code add}, {@code sub}, {@code mul} and {@code
 * floordiv} nodes, so the traced graph recomputes the sizes for every input. Pass {@code SymInt}s to
 * the shape-taking ops of {@code org.fx4j.nn.F} ({@code reshape}, {@code expand}) and check them
 * with {@link #checkEquals}, which records an {@code _assert} node that dead-code elimination keeps.
 *
 * <pre>{@code
 * SymInt n = SymInt.size(x, 0);
 * SymInt h = SymInt.size(x, 2);
 * SymInt.checkEquals(h, 224, "Wrong image height! Expected 224 but got %d!");
 * NDArray tokens = F.reshape(conv(x), n, SymInt.of(768), h.floorDiv(16).mul(h.floorDiv(16)));
 * }</pre>
 *
 * <p>Function bodies that receive sizes get a {@code SymInt} when called directly and a {@code Long}
 * when run by a traced graph; read both with {@link #toLong(Object)}.
 */
public final class SymInt {

    private static final SymIntOp SIZE = new SymIntOp("size", a -> {
        NDArray x = (NDArray) a[0];
        return x.getShape().get(axis(x, (Integer) a[1]));
    }, false);
    private static final SymIntOp ADD = new SymIntOp("add", a -> toLong(a[0]) + toLong(a[1]), false);
    private static final SymIntOp SUB = new SymIntOp("sub", a -> toLong(a[0]) - toLong(a[1]), false);
    private static final SymIntOp MUL = new SymIntOp("mul", a -> toLong(a[0]) * toLong(a[1]), false);
    private static final SymIntOp FLOORDIV = new SymIntOp("floordiv", a -> {
        long d = toLong(a[1]);
        if (d == 0) {
            throw new ArithmeticException("integer division or modulo by zero (" + toLong(a[0]) + " // 0)");
        }
        return Math.floorDiv(toLong(a[0]), d);
    }, false);
    private static final SymIntOp ASSERT = new SymIntOp("_assert", a -> {
        long actual = toLong(a[0]);
        if (actual != toLong(a[1])) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, (String) a[2], actual));
        }
        return null;
    }, true);

    private final long value;
    private final Tracer tracer;
    private final Node node;

    private SymInt(long value, Tracer tracer, Node node) {
        this.value = value;
        this.tracer = tracer;
        this.node = node;
    }

    /**
     * A concrete size.
     *
     * @param value the number
     * @return the size
     */
    public static SymInt of(long value) {
        return new SymInt(value, null, null);
    }

    /**
     * The size of one dimension of an array ({@code x.size(axis)}; negative axes count from the end).
     *
     * @param x a real or symbolic array
     * @param axis the dimension
     * @return the size, symbolic while tracing
     */
    public static SymInt size(NDArray x, int axis) {
        SymbolicValue s = SymbolicValue.of(x);
        if (s != null) {
            return s.tracer().recordSymInt(NodeOp.CALL_METHOD, SIZE, new Object[] {x, axis});
        }
        return of(x.getShape().get(axis(x, axis)));
    }

    private static int axis(NDArray x, int axis) {
        int rank = x.getShape().dimension();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(
                    "Dimension out of range (expected to be in range of [" + -rank + ", " + (rank - 1) + "], but got " + axis
                            + ") for an array of shape " + x.getShape());
        }
        return a;
    }

    /**
     * Checks that a size equals an expected value, also in every run of a traced graph: a failed
     * check throws {@link IllegalArgumentException} with {@code message} formatted with the actual
     * size ({@code %d}).
     *
     * @param size the size
     * @param expected the required value
     * @param message the error message, with one {@code %d} for the actual size
     */
    public static void checkEquals(SymInt size, long expected, String message) {
        if (size.node != null) {
            size.tracer.recordSymInt(NodeOp.CALL_FUNCTION, ASSERT, new Object[] {size, expected, message});
        } else {
            ASSERT.compute(new Object[] {size.value, expected, message});
        }
    }

    /**
     * Returns whether this size is symbolic (recorded in an ongoing trace).
     *
     * @return true while tracing
     */
    public boolean isSymbolic() {
        return node != null;
    }

    /**
     * Returns the number.
     *
     * @return the value
     * @throws TraceException if the size is symbolic: its value does not exist while tracing
     */
    public long value() {
        if (node != null) {
            throw new TraceException("Size '" + node.qualifiedName() + "' is symbolic while tracing and has no value;"
                    + " keep it a SymInt (its arithmetic and F.reshape / F.expand accept it) or check it with"
                    + " SymInt.checkEquals");
        }
        return value;
    }

    /**
     * {@code this + other}.
     *
     * @param other a {@code SymInt} or a number
     * @return the sum
     */
    public SymInt add(Object other) {
        return binary(ADD, other);
    }

    /**
     * {@code this - other}.
     *
     * @param other a {@code SymInt} or a number
     * @return the difference
     */
    public SymInt sub(Object other) {
        return binary(SUB, other);
    }

    /**
     * {@code this * other}.
     *
     * @param other a {@code SymInt} or a number
     * @return the product
     */
    public SymInt mul(Object other) {
        return binary(MUL, other);
    }

    /**
     * {@code this // other} (Python's floor division).
     *
     * @param other a {@code SymInt} or a number
     * @return the quotient
     */
    public SymInt floorDiv(Object other) {
        return binary(FLOORDIV, other);
    }

    private SymInt binary(SymIntOp op, Object other) {
        checkOperand(other);
        Tracer t = tracer != null ? tracer : other instanceof SymInt ? ((SymInt) other).tracer : null;
        if (t != null) {
            return t.recordSymInt(NodeOp.CALL_FUNCTION, op, new Object[] {this, other});
        }
        return of((Long) op.compute(new Object[] {this, other}));
    }

    private static void checkOperand(Object other) {
        if (!(other instanceof SymInt) && !(other instanceof Integer) && !(other instanceof Long)) {
            throw new IllegalArgumentException(
                    "A size operand must be a SymInt, an Integer or a Long, got "
                            + (other == null ? "null" : other.getClass().getSimpleName()));
        }
    }

    /**
     * Reads a size argument: a concrete {@code SymInt}, or a {@code Long} / {@code Integer} (what a
     * traced graph passes where the model passed a {@code SymInt}).
     *
     * @param size the argument
     * @return the number
     */
    public static long toLong(Object size) {
        if (size instanceof SymInt) {
            return ((SymInt) size).value();
        }
        if (size instanceof Long || size instanceof Integer) {
            return ((Number) size).longValue();
        }
        throw new IllegalArgumentException(
                "Expected a size (SymInt, Long or Integer), got " + (size == null ? "null" : size.getClass().getSimpleName()));
    }

    /**
     * Reads a list of size arguments ({@link #toLong(Object)} each).
     *
     * @param sizes the arguments
     * @return the numbers
     */
    public static long[] toLongs(List<?> sizes) {
        long[] out = new long[sizes.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toLong(sizes.get(i));
        }
        return out;
    }

    Tracer tracer() {
        return tracer;
    }

    Node node() {
        return node;
    }

    static SymInt symbolic(Tracer tracer, Node node) {
        return new SymInt(0, tracer, node);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return node != null ? "SymInt(" + node.qualifiedName() + ")" : Long.toString(value);
    }
}
