package org.fx4j.inference;

import java.util.Arrays;

/**
 * One named output of an extractor for one image, copied out of native memory (so it outlives the
 * predictor that made it): its node name, its shape (without the batch axis, e.g. {@code [C, H, W]})
 * and its values in row-major order, float32.
 */
public final class FeatureMap {

    private final String name;
    private final long[] shape;
    private final float[] values;

    /**
     * Creates a map; the arrays are copied.
     *
     * @param name the node name
     * @param shape the shape
     * @param values the values, as many as the shape holds
     * @throws IllegalArgumentException if the count does not match the shape
     */
    public FeatureMap(String name, long[] shape, float[] values) {
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        if (count != values.length) {
            throw new IllegalArgumentException("the feature map '" + name + "' has shape " + Arrays.toString(shape)
                    + " (" + count + " values) but " + values.length + " values were given");
        }
        this.name = name;
        this.shape = shape.clone();
        this.values = values.clone();
    }

    /** @return the node name */
    public String name() {
        return name;
    }

    /** @return a copy of the shape, without the batch axis */
    public long[] shape() {
        return shape.clone();
    }

    /** @return a copy of the values, row-major */
    public float[] values() {
        return values.clone();
    }

    /** @return e.g. {@code layer3 [256, 14, 14]} */
    @Override
    public String toString() {
        return name + " " + Arrays.toString(shape);
    }
}
