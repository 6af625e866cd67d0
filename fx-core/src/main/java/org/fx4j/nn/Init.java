package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/** PyTorch's parameter initialisations ({@code torch.nn.init}) as DJL {@link Initializer}s. */
public final class Init {

    private Init() {}

    /**
     * Returns {@code fan_in} of a weight shape as PyTorch computes it (dim 1 times the receptive
     * field).
     *
     * @param shape a weight shape of rank 2 or more
     * @return the fan-in
     */
    public static long fanIn(Shape shape) {
        return shape.get(1) * receptiveField(shape);
    }

    /**
     * Returns {@code fan_out} of a weight shape (dim 0 times the receptive field).
     *
     * @param shape a weight shape of rank 2 or more
     * @return the fan-out
     */
    public static long fanOut(Shape shape) {
        return shape.get(0) * receptiveField(shape);
    }

    private static long receptiveField(Shape shape) {
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException("fan in/out needs a weight of rank >= 2, got shape " + shape);
        }
        long r = 1;
        for (int i = 2; i < shape.dimension(); i++) {
            r *= shape.get(i);
        }
        return r;
    }

    /**
     * {@code kaiming_uniform_(w, a)} with fan-in mode and leaky-relu gain: PyTorch's default for
     * {@code Conv2d} and {@code Linear} weights uses {@code a = sqrt(5)}.
     *
     * @param a the negative slope
     * @return the initializer
     */
    public static Initializer kaimingUniform(double a) {
        return (manager, shape, dataType) -> {
            double gain = Math.sqrt(2.0 / (1 + a * a));
            float bound = (float) (gain * Math.sqrt(3.0 / fanIn(shape)));
            return manager.randomUniform(-bound, bound, shape, dataType);
        };
    }

    /**
     * {@code kaiming_normal_(w, mode="fan_out", nonlinearity="relu")}, used by torchvision's ResNet
     * for convolution weights.
     *
     * @return the initializer
     */
    public static Initializer kaimingNormalFanOut() {
        return (manager, shape, dataType) -> {
            float std = (float) (Math.sqrt(2.0) / Math.sqrt(fanOut(shape)));
            return manager.randomNormal(0f, std, shape, dataType);
        };
    }

    /**
     * {@code kaiming_normal_(w)} with PyTorch's defaults (fan-in mode, gain sqrt(2)), used by
     * torchvision's DenseNet.
     *
     * @return the initializer
     */
    public static Initializer kaimingNormalFanIn() {
        return (manager, shape, dataType) -> {
            float std = (float) (Math.sqrt(2.0) / Math.sqrt(fanIn(shape)));
            return manager.randomNormal(0f, std, shape, dataType);
        };
    }

    /**
     * {@code uniform_(b, -1/sqrt(fan_in), 1/sqrt(fan_in))}: PyTorch's default bias.
     *
     * @param fanIn the fan-in of the matching weight
     * @return the initializer
     */
    public static Initializer uniformBias(long fanIn) {
        float bound = fanIn > 0 ? (float) (1.0 / Math.sqrt(fanIn)) : 0f;
        return (manager, shape, dataType) -> manager.randomUniform(-bound, bound, shape, dataType);
    }

    /**
     * {@code normal_(w, 0, std)}.
     *
     * @param std the standard deviation
     * @return the initializer
     */
    public static Initializer normal(float std) {
        return (manager, shape, dataType) -> manager.randomNormal(0f, std, shape, dataType);
    }

    /**
     * Fills with a constant.
     *
     * @param value the value
     * @return the initializer
     */
    public static Initializer constant(float value) {
        return (manager, shape, dataType) -> manager.full(shape, value, dataType);
    }

    /**
     * Fills an int64 buffer with zeros whatever floating type the model uses ({@code
     * num_batches_tracked}).
     *
     * @return the initializer
     */
    public static Initializer int64Zeros() {
        return (manager, shape, dataType) -> manager.zeros(shape, DataType.INT64);
    }

    /**
     * {@code uniform_(w, -bound, bound)}.
     *
     * @param bound the half-width of the interval
     * @return the initializer
     */
    public static Initializer uniform(float bound) {
        return (manager, shape, dataType) -> manager.randomUniform(-bound, bound, shape, dataType);
    }

    /**
     * {@code trunc_normal_(w, std=std, a=-2, b=2)}: a normal distribution cut at the absolute bounds
     * {@code [-2, 2]}, redrawn where it falls outside.
     *
     * @param std the standard deviation
     * @return the initializer
     */
    public static Initializer truncNormal(float std) {
        return (manager, shape, dataType) -> {
            NDArray w = manager.randomNormal(0f, std, shape, dataType);
            for (int round = 0; round < 100; round++) {
                try (NDArray magnitude = w.abs();
                        NDArray outside = magnitude.gt(2f)) {
                    if (!outside.any().getBoolean()) {
                        return w;
                    }
                    try (NDArray redraw = manager.randomNormal(0f, std, shape, dataType);
                            NDArray replaced = NDArrays.where(outside, redraw, w)) {
                        w.set(new NDIndex(), replaced);
                    }
                }
            }
            try (NDArray drawn = w) {
                return drawn.clip(-2f, 2f);
            }
        };
    }

    /**
     * {@code xavier_uniform_(w)}: {@code U(-a, a)} with {@code a = sqrt(6 / (fan_in + fan_out))}.
     *
     * @return the initializer
     */
    public static Initializer xavierUniform() {
        return (manager, shape, dataType) -> {
            float bound = (float) Math.sqrt(6.0 / (fanIn(shape) + fanOut(shape)));
            return manager.randomUniform(-bound, bound, shape, dataType);
        };
    }
}
