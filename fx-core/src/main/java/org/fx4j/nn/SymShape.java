package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * An array's shape ({@code x.shape}): a DJL {@link Shape} when the model runs, a {@code getattr}
 * node while it is traced. Its sizes are {@link SymInt}s read with {@code getitem} nodes, as torch.fx
 * records {@code n, c, h, w = x.shape}.
 */
public final class SymShape extends SymValue {

    static final ScalarOp GETATTR = new ScalarOp("getattr", false, ScalarOp.Result.SHAPE, a -> ((NDArray) a[0]).getShape());
    static final ScalarOp GETITEM = new ScalarOp("getitem", false, ScalarOp.Result.INT, a -> {
        Shape s = (Shape) a[0];
        int i = (Integer) a[1];
        int k = i < 0 ? i + s.dimension() : i;
        if (k < 0 || k >= s.dimension()) {
            throw new IllegalArgumentException("tuple index out of range: size " + i + " of shape " + s);
        }
        return s.get(k);
    });

    SymShape(Shape value, Recorder recorder, Object node) {
        super(value, recorder, node);
    }

    /**
     * {@code x.shape}.
     *
     * @param x a real or symbolic array
     * @return its shape, a {@code getattr} node while tracing
     */
    public static SymShape of(NDArray x) {
        return (SymShape) GETATTR.apply(x, "shape");
    }

    /**
     * A concrete shape.
     *
     * @param shape the shape
     * @return the wrapper
     */
    public static SymShape of(Shape shape) {
        return new SymShape(shape, null, null);
    }

    /**
     * {@code shape[i]} (negative indices count from the end).
     *
     * @param i the index
     * @return the size, a {@code getitem} node while tracing
     */
    public SymInt get(int i) {
        return (SymInt) GETITEM.apply(this, i);
    }

    /**
     * {@code a, b, ... = shape}: the first {@code count} sizes, one {@code getitem} node each while
     * tracing. Run eagerly, a shape of another rank fails as Python's unpacking does.
     *
     * @param count how many sizes to unpack
     * @return the sizes
     */
    public SymInt[] unpack(int count) {
        if (!isSymbolic() && value().dimension() != count) {
            throw new IllegalArgumentException("cannot unpack shape " + value() + " into " + count + " values");
        }
        SymInt[] out = new SymInt[count];
        for (int i = 0; i < count; i++) {
            out[i] = get(i);
        }
        return out;
    }

    /**
     * Returns the shape.
     *
     * @return the shape
     * @throws TraceException while tracing
     */
    public Shape value() {
        return (Shape) raw();
    }
}
