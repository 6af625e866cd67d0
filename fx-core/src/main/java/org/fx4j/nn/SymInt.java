package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * An integer read from an array's shape: a plain number when the model runs, a graph node while it
 * is traced, recorded exactly as torch.fx records Python's integer operations on a traced shape.
 *
 * <table>
 *   <caption>fx4j code and the nodes it records</caption>
 *   <tr><th>torchvision (Python)</th><th>fx4j (Java)</th><th>node</th></tr>
 *   <tr><td>{@code n, c, h, w = x.shape}</td><td>{@code SymShape.of(x).unpack(4)}</td>
 *       <td>{@code getattr}, 4 x {@code getitem}</td></tr>
 *   <tr><td>{@code x.size(1)}</td><td>{@code SymInt.size(x, 1)}</td><td>{@code size}</td></tr>
 *   <tr><td>{@code x.dim()}</td><td>{@code SymInt.dim(x)}</td><td>{@code dim}</td></tr>
 *   <tr><td>{@code h // p}, {@code a * b}, {@code a + b}, {@code a - b}</td>
 *       <td>{@code h.floorDiv(p)}, {@code a.mul(b)}, ...</td><td>{@code floordiv}, {@code mul}, ...</td></tr>
 *   <tr><td>{@code h == 224}</td><td>{@code h.eq(224)}</td><td>{@code eq}</td></tr>
 *   <tr><td>{@code torch._assert(h == 224, msg)}</td><td>{@code h.eq(224).check(msg, h)}</td>
 *       <td>{@code eq}, {@code _assert}</td></tr>
 * </table>
 *
 * <p>Pass {@code SymInt}s to the shape-taking ops of {@link F} ({@code reshape}, {@code expand}).
 * Function bodies that receive sizes get a {@code SymInt} when called directly and a {@code Long}
 * when run by a traced graph; read both with {@link #toLong(Object)}.
 */
public final class SymInt extends SymValue {

    static final ScalarOp SIZE = new ScalarOp("size", true, ScalarOp.Result.INT, a -> {
        NDArray x = (NDArray) a[0];
        Shape s = x.getShape();
        return s.get(axis(s, (Integer) a[1]));
    });
    static final ScalarOp DIM = new ScalarOp("dim", true, ScalarOp.Result.INT,
            a -> (long) ((NDArray) a[0]).getShape().dimension());
    static final ScalarOp ADD = new ScalarOp("add", false, ScalarOp.Result.INT, a -> toLong(a[0]) + toLong(a[1]));
    static final ScalarOp SUB = new ScalarOp("sub", false, ScalarOp.Result.INT, a -> toLong(a[0]) - toLong(a[1]));
    static final ScalarOp MUL = new ScalarOp("mul", false, ScalarOp.Result.INT, a -> toLong(a[0]) * toLong(a[1]));
    static final ScalarOp FLOORDIV = new ScalarOp("floordiv", false, ScalarOp.Result.INT, a -> {
        long d = toLong(a[1]);
        if (d == 0) {
            throw new ArithmeticException("integer division or modulo by zero (" + toLong(a[0]) + " // 0)");
        }
        return Math.floorDiv(toLong(a[0]), d);
    });
    static final ScalarOp EQ = new ScalarOp("eq", false, ScalarOp.Result.BOOL, a -> toLong(a[0]) == toLong(a[1]));

    SymInt(long value, Recorder recorder, Object node) {
        super(value, recorder, node);
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
     * {@code x.size(axis)} (negative axes count from the end): a {@code size} node while tracing.
     *
     * @param x a real or symbolic array
     * @param axis the dimension
     * @return the size
     */
    public static SymInt size(NDArray x, int axis) {
        return (SymInt) SIZE.apply(x, axis);
    }

    /**
     * {@code x.dim()}: the number of dimensions, a {@code dim} node while tracing.
     *
     * @param x a real or symbolic array
     * @return the rank
     */
    public static SymInt dim(NDArray x) {
        return (SymInt) DIM.apply(x);
    }

    static int axis(Shape s, int axis) {
        int rank = s.dimension();
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException("Dimension out of range (expected to be in range of [" + -rank + ", "
                    + (rank - 1) + "], but got " + axis + ") for an array of shape " + s);
        }
        return a;
    }

    /**
     * Checks that a size equals an expected value, also in every run of a traced graph (records
     * {@code eq} and {@code _assert}): a failed check throws {@link IllegalArgumentException} with
     * {@code message} formatted with the actual size ({@code %d}).
     *
     * @param size the size
     * @param expected the required value
     * @param message the error message, with one {@code %d} for the actual size
     */
    public static void checkEquals(SymInt size, long expected, String message) {
        size.eq(expected).check(message, size);
    }

    /**
     * Returns the number.
     *
     * @return the value
     * @throws TraceException if the size is symbolic: its value does not exist while tracing
     */
    public long value() {
        return (Long) raw();
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

    /**
     * {@code this == other}.
     *
     * @param other a {@code SymInt} or a number
     * @return the comparison, an {@code eq} node while tracing
     */
    public SymBool eq(Object other) {
        checkOperand(other);
        return (SymBool) EQ.apply(this, other);
    }

    private SymInt binary(ScalarOp op, Object other) {
        checkOperand(other);
        return (SymInt) op.apply(this, other);
    }

    private static void checkOperand(Object other) {
        if (!(other instanceof SymInt) && !(other instanceof Integer) && !(other instanceof Long)) {
            throw new IllegalArgumentException("A size operand must be a SymInt, an Integer or a Long, got "
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
}
