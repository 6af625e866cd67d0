package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.List;
import java.util.function.BiFunction;

/**
 * Functional ops ({@code torch.nn.functional} and {@code torch.*}) that compute on real arrays and
 * record one {@code call_function} node, named as in {@code torch.fx} ({@code add}, {@code relu},
 * {@code flatten}, ...), when given symbolic arrays. Use them in modules that are traced through.
 */
public final class F {

    /** {@code torch.relu}. */
    public static final FxFunction RELU = FxFunction.atomic("relu", a -> arr(a, 0).getNDArrayInternal().relu());

    /** {@code operator.add} ({@code a + b}). */
    public static final FxFunction ADD = FxFunction.atomic("add", a -> binary(a, Op.ADD));

    /** {@code operator.sub} ({@code a - b}). */
    public static final FxFunction SUB = FxFunction.atomic("sub", a -> binary(a, Op.SUB));

    /** {@code operator.mul} ({@code a * b}). */
    public static final FxFunction MUL = FxFunction.atomic("mul", a -> binary(a, Op.MUL));

    /** {@code operator.truediv} ({@code a / b}). */
    public static final FxFunction TRUEDIV = FxFunction.atomic("truediv", a -> binary(a, Op.DIV));

    /** {@code torch.flatten(x, start_dim)}. */
    public static final FxFunction FLATTEN =
            FxFunction.atomic("flatten", a -> arr(a, 0).flatten((Integer) a[1], (Integer) a[2]));

    /** {@code torch.cat(tensors, dim)}. */
    public static final FxFunction CAT = FxFunction.atomic("cat", a -> {
        NDList arrays = list(a[0]);
        // NDArrays.concat copies a lone array with duplicate(), which DJL's PyTorch engine detaches from
        // autograd (DenseNet's first layers would get no gradient through it): libtorch's cat copies it.
        return arrays.size() == 1
                ? JniUtils.cat(new PtNDArray[] {PtArrays.pt(arrays.head(), "cat")}, (Integer) a[1])
                : NDArrays.concat(arrays, (Integer) a[1]);
    });

    /** {@code torch.stack(tensors, dim)}. */
    public static final FxFunction STACK = FxFunction.atomic("stack", a -> NDArrays.stack(list(a[0]), (Integer) a[1]));

    /** {@code torch.sigmoid}. */
    public static final FxFunction SIGMOID =
            FxFunction.atomic("sigmoid", a -> arr(a, 0).getNDArrayInternal().sigmoid());

    /** {@code torch.softmax(x, dim)}. */
    public static final FxFunction SOFTMAX = FxFunction.atomic("softmax", a -> arr(a, 0).softmax((Integer) a[1]));

    /** {@code F.adaptive_avg_pool2d(x, (h, w))}. */
    public static final FxFunction ADAPTIVE_AVG_POOL2D =
            FxFunction.atomic(
                    "adaptive_avg_pool2d",
                    a -> JniUtils.adaptiveAvgPool(PtArrays.pt(arr(a, 0), "adaptive_avg_pool2d"), (Shape) a[1]));

    /** {@code F.max_pool2d(x, kernel, stride, padding)}. */
    public static final FxFunction MAX_POOL2D =
            FxFunction.atomic(
                    "max_pool2d",
                    a -> JniUtils.maxPool(PtArrays.pt(arr(a, 0), "max_pool2d"), (Shape) a[1], (Shape) a[2],
                            (Shape) a[3], false));

    /**
     * {@code F.interpolate(x, size=(h, w), mode="nearest")}: libtorch's {@code upsample_nearest2d},
     * whose source index is {@code floor(dst * (in / out))} in float, so odd sizes (13 -> 25) pick the
     * rows torchvision picks.
     */
    public static final FxFunction INTERPOLATE_NEAREST =
            FxFunction.atomic(
                    "interpolate",
                    a -> JniUtils.interpolate(PtArrays.pt(arr(a, 0), "interpolate"), ((Shape) a[1]).getShape(), 0,
                            false));

    /** {@code F.dropout(x, p, training)}. */
    public static final FxFunction DROPOUT =
            FxFunction.atomic(
                    "dropout",
                    a -> arr(a, 0).getNDArrayInternal().dropout(arr(a, 0), (Float) a[1], (Boolean) a[2]).singletonOrThrow());

    /** {@code F.layer_norm(x, normalized_shape, weight, bias, eps)} over the trailing dimensions. */
    public static final FxFunction LAYER_NORM = FxFunction.atomic("layer_norm", a ->
            // libtorch's layer_norm with a double eps (DJL's NDArrayEx.layerNorm takes a float)
            JniUtils.layerNorm(PtArrays.pt(arr(a, 0), "layer_norm"), (Shape) a[1], PtArrays.pt((NDArray) a[2], "layer_norm"),
                    PtArrays.pt((NDArray) a[3], "layer_norm"), ((Number) a[4]).doubleValue()));

    /** {@code x.permute(dims)}. */
    public static final FxFunction PERMUTE = FxFunction.atomic("permute", a -> arr(a, 0).transpose((int[]) a[1]));

    /** {@code x.reshape(sizes)}; sizes may be {@link SymInt}s, {@code -1} infers one. */
    public static final FxFunction RESHAPE =
            FxFunction.atomic("reshape", a -> arr(a, 0).reshape(new Shape(SymInt.toLongs((List<?>) a[1]))));

    /**
     * {@code x.expand(sizes)}: broadcasts size-1 dimensions; {@code -1} keeps a dimension. Sizes may be
     * {@link SymInt}s.
     */
    public static final FxFunction EXPAND = FxFunction.atomic("expand", a -> {
        NDArray x = arr(a, 0);
        long[] sizes = SymInt.toLongs((List<?>) a[1]);
        Shape s = x.getShape();
        if (sizes.length != s.dimension()) {
            throw new IllegalArgumentException("expand: the number of sizes provided (" + sizes.length
                    + ") must equal the number of dimensions of the array (" + s.dimension() + ", shape " + s + ")");
        }
        for (int i = 0; i < sizes.length; i++) {
            if (sizes[i] == -1) {
                sizes[i] = s.get(i);
            } else if (s.get(i) != 1 && s.get(i) != sizes[i]) {
                throw new IllegalArgumentException("expand: the expanded size " + sizes[i] + " must match the existing"
                        + " size " + s.get(i) + " at non-singleton dimension " + i + " (shape " + s + ")");
            }
        }
        return x.broadcast(new Shape(sizes));
    });

    /** {@code x[index]} with a DJL index string ({@code ":, 0"}). */
    public static final FxFunction GETITEM = FxFunction.atomic("getitem", a -> arr(a, 0).get((String) a[1]));

    private enum Op {
        ADD(NDArray::add, NDArray::add),
        SUB(NDArray::sub, NDArray::sub),
        MUL(NDArray::mul, Scalars::mul),
        DIV(NDArray::div, Scalars::div);

        private final BiFunction<NDArray, NDArray, NDArray> arrays;
        private final BiFunction<NDArray, Number, NDArray> number;

        Op(BiFunction<NDArray, NDArray, NDArray> arrays, BiFunction<NDArray, Number, NDArray> number) {
            this.arrays = arrays;
            this.number = number;
        }
    }

    private F() {}

    private static NDArray arr(Object[] args, int i) {
        Object o = args[i];
        if (!(o instanceof NDArray)) {
            throw new IllegalArgumentException("Argument " + i + " must be an NDArray, got " + describe(o));
        }
        return (NDArray) o;
    }

    private static String describe(Object o) {
        return o == null ? "null" : o.getClass().getSimpleName();
    }

    private static NDList list(Object o) {
        if (o instanceof NDList) {
            return (NDList) o;
        }
        if (o instanceof List) {
            NDList out = new NDList();
            for (Object item : (List<?>) o) {
                if (!(item instanceof NDArray)) {
                    throw new IllegalArgumentException("Expected a list of NDArrays, found " + describe(item));
                }
                out.add((NDArray) item);
            }
            return out;
        }
        throw new IllegalArgumentException("Expected a list of NDArrays, got " + describe(o));
    }

    private static NDArray binary(Object[] a, Op op) {
        NDArray x = arr(a, 0);
        Object y = a[1];
        if (y instanceof NDArray) {
            return op.arrays.apply(x, (NDArray) y);
        }
        if (y instanceof Number) {
            return op.number.apply(x, (Number) y);
        }
        throw new IllegalArgumentException("Second operand must be an NDArray or a number, got " + describe(y));
    }

    /**
     * {@code torch.relu(x)}.
     *
     * @param x the input
     * @return {@code max(x, 0)}
     */
    public static NDArray relu(NDArray x) {
        return RELU.apply(x);
    }

    /**
     * {@code a + b}.
     *
     * @param a an array
     * @param b an array (broadcast)
     * @return the sum
     */
    public static NDArray add(NDArray a, NDArray b) {
        return ADD.apply(a, b);
    }

    /**
     * {@code a + b}.
     *
     * @param a an array
     * @param b a number
     * @return the sum
     */
    public static NDArray add(NDArray a, Number b) {
        return ADD.apply(a, b);
    }

    /**
     * {@code a - b}.
     *
     * @param a an array
     * @param b an array (broadcast)
     * @return the difference
     */
    public static NDArray sub(NDArray a, NDArray b) {
        return SUB.apply(a, b);
    }

    /**
     * {@code a - b}.
     *
     * @param a an array
     * @param b a number
     * @return the difference
     */
    public static NDArray sub(NDArray a, Number b) {
        return SUB.apply(a, b);
    }

    /**
     * {@code a / b}.
     *
     * @param a an array
     * @param b a number
     * @return the quotient
     */
    public static NDArray div(NDArray a, Number b) {
        return TRUEDIV.apply(a, b);
    }

    /**
     * {@code a * b}.
     *
     * @param a an array
     * @param b an array (broadcast)
     * @return the product
     */
    public static NDArray mul(NDArray a, NDArray b) {
        return MUL.apply(a, b);
    }

    /**
     * {@code a * b}.
     *
     * @param a an array
     * @param b a number
     * @return the product
     */
    public static NDArray mul(NDArray a, Number b) {
        return MUL.apply(a, b);
    }

    /**
     * {@code a / b}.
     *
     * @param a an array
     * @param b an array (broadcast)
     * @return the quotient
     */
    public static NDArray div(NDArray a, NDArray b) {
        return TRUEDIV.apply(a, b);
    }

    /**
     * {@code torch.flatten(x, startDim)}: flattens dimensions {@code startDim..-1}.
     *
     * @param x the input
     * @param startDim the first dimension to flatten
     * @return the flattened array
     */
    public static NDArray flatten(NDArray x, int startDim) {
        return FLATTEN.apply(x, startDim, -1);
    }

    /**
     * {@code torch.cat(arrays, dim)}.
     *
     * @param arrays the arrays
     * @param dim the dimension
     * @return the concatenation
     */
    public static NDArray cat(List<NDArray> arrays, int dim) {
        return CAT.apply(arrays, dim);
    }

    /**
     * {@code torch.stack(arrays, dim)}.
     *
     * @param arrays the arrays
     * @param dim the new dimension
     * @return the stack
     */
    public static NDArray stack(List<NDArray> arrays, int dim) {
        return STACK.apply(arrays, dim);
    }

    /**
     * {@code torch.sigmoid(x)}.
     *
     * @param x the input
     * @return the logistic function of x
     */
    public static NDArray sigmoid(NDArray x) {
        return SIGMOID.apply(x);
    }

    /**
     * {@code torch.softmax(x, dim)}.
     *
     * @param x the input
     * @param dim the dimension
     * @return the softmax
     */
    public static NDArray softmax(NDArray x, int dim) {
        return SOFTMAX.apply(x, dim);
    }

    /**
     * {@code F.adaptive_avg_pool2d(x, (h, w))}.
     *
     * @param x NCHW input
     * @param height output height
     * @param width output width
     * @return the pooled array
     */
    public static NDArray adaptiveAvgPool2d(NDArray x, int height, int width) {
        return ADAPTIVE_AVG_POOL2D.apply(x, new Shape(height, width));
    }

    /**
     * {@code F.max_pool2d(x, kernel, stride, padding)} with square windows.
     *
     * @param x NCHW input
     * @param kernel window side
     * @param stride stride
     * @param padding padding
     * @return the pooled array
     */
    public static NDArray maxPool2d(NDArray x, int kernel, int stride, int padding) {
        return MAX_POOL2D.apply(x, new Shape(kernel, kernel), new Shape(stride, stride), new Shape(padding, padding));
    }

    /**
     * {@code F.interpolate(x, size=(height, width), mode="nearest")}.
     *
     * @param x NCHW input
     * @param height output height
     * @param width output width
     * @return the resized array
     */
    public static NDArray interpolateNearest(NDArray x, long height, long width) {
        return INTERPOLATE_NEAREST.apply(x, new Shape(height, width));
    }

    /**
     * {@code F.dropout(x, p, training)}.
     *
     * @param x the input
     * @param p the drop probability
     * @param training whether to drop (identity otherwise)
     * @return the result
     */
    public static NDArray dropout(NDArray x, float p, boolean training) {
        return DROPOUT.apply(x, p, training);
    }

    /**
     * {@code F.layer_norm(x, (size,), weight, bias, eps)}: normalises over the last dimension.
     *
     * @param x the input, last dimension {@code size}
     * @param size the normalised size
     * @param weight the scale, shape (size)
     * @param bias the shift, shape (size)
     * @param eps the value added to the variance
     * @return the normalised array
     */
    public static NDArray layerNorm(NDArray x, int size, NDArray weight, NDArray bias, double eps) {
        return LAYER_NORM.apply(x, new Shape(size), weight, bias, eps);
    }

    /**
     * {@code F.layer_norm(x, (size,), weight, bias, eps)} with a float eps, taken as its shortest
     * decimal ({@code 1e-6f} means 1e-6).
     *
     * @param x the input, last dimension {@code size}
     * @param size the normalised size
     * @param weight the scale, shape (size)
     * @param bias the shift, shape (size)
     * @param eps the value added to the variance
     * @return the normalised array
     */
    public static NDArray layerNorm(NDArray x, int size, NDArray weight, NDArray bias, float eps) {
        return layerNorm(x, size, weight, bias, Floats.asWritten(eps));
    }

    /**
     * {@code x.permute(dims)}.
     *
     * @param x the input
     * @param dims the new order of the dimensions
     * @return the permuted array
     */
    public static NDArray permute(NDArray x, int... dims) {
        return PERMUTE.apply(x, dims);
    }

    /**
     * {@code x.reshape(sizes)}.
     *
     * @param x the input
     * @param sizes the new sizes: {@link SymInt}s or numbers, one of them may be {@code -1}
     * @return the reshaped array
     */
    public static NDArray reshape(NDArray x, Object... sizes) {
        return RESHAPE.apply(x, List.of(sizes));
    }

    /**
     * {@code x.expand(sizes)}.
     *
     * @param x the input
     * @param sizes the new sizes: {@link SymInt}s or numbers, {@code -1} keeps a dimension
     * @return the broadcast array
     */
    public static NDArray expand(NDArray x, Object... sizes) {
        return EXPAND.apply(x, List.of(sizes));
    }

    /**
     * {@code x[index]}.
     *
     * @param x the input
     * @param index a DJL index string, e.g. {@code ":, 0"}
     * @return the selected part
     */
    public static NDArray getitem(NDArray x, String index) {
        return GETITEM.apply(x, index);
    }
}
