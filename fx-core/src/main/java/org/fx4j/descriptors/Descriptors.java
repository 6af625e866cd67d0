package org.fx4j.descriptors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Descriptors from feature maps: a {@link Pooling} then L2 normalisation, so that the dot product of
 * two descriptors is their cosine similarity.
 */
public final class Descriptors {

    /** {@code F.normalize}'s floor on the norm: a zero vector stays zero instead of dividing by zero. */
    public static final double NORM_EPS = 1e-12;

    private Descriptors() {}

    /**
     * {@code torch.nn.functional.normalize(x, p=2, dim=1, eps=1e-12)}: each row divided by
     * {@code max(||row||, eps)}.
     *
     * @param vectors {@code [N, C]}, floating
     * @return the normalised rows, in the array's manager
     * @throws IllegalArgumentException for another rank
     */
    public static NDArray l2Normalize(NDArray vectors) {
        if (vectors.getShape().dimension() != 2) {
            throw new IllegalArgumentException("L2 normalisation takes [N, C] vectors, got " + vectors.getShape());
        }
        return vectors.normalize(2, 1, NORM_EPS);
    }

    /**
     * Pools a map and normalises the result.
     *
     * @param map {@code [N, C, H, W]} or {@code [N, C]}
     * @param pooling the pooling
     * @return {@code [N, C]} unit vectors (zero where the pooled vector is zero)
     */
    public static NDArray describe(NDArray map, Pooling pooling) {
        NDArray pooled = pooling.apply(map);
        try {
            return l2Normalize(pooled);
        } finally {
            if (pooled != map) {
                pooled.close();
            }
        }
    }

    /**
     * Copies {@code [N, C]} descriptors into Java, one row per image.
     *
     * @param descriptors {@code [N, C]}
     * @return the rows, as float
     */
    public static float[][] rows(NDArray descriptors) {
        Shape s = descriptors.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("descriptors are [N, C], got " + s);
        }
        int n = Math.toIntExact(s.get(0));
        int c = Math.toIntExact(s.get(1));
        float[] flat;
        if (descriptors.getDataType() == DataType.FLOAT32) {
            flat = descriptors.toFloatArray();
        } else {
            try (NDArray converted = descriptors.toType(DataType.FLOAT32, true)) {
                flat = converted.toFloatArray();
            }
        }
        float[][] out = new float[n][c];
        for (int i = 0; i < n; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }
}
