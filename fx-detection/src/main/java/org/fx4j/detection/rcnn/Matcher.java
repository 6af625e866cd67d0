package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * torchvision's {@code Matcher}: assigns each prediction (column of an M x N quality matrix, usually
 * IoUs of M ground-truth boxes with N anchors or proposals) its best ground truth (the first of equal
 * maxima), or {@link #BELOW_LOW_THRESHOLD} when the best quality is below {@code lowThreshold}, or
 * {@link #BETWEEN_THRESHOLDS} when it is below {@code highThreshold}. With {@code
 * allowLowQualityMatches}, every prediction that attains some ground truth's highest quality (ties
 * included) keeps its best match whatever its quality, as torchvision's {@code
 * set_low_quality_matches_}. Thresholds are compared in the matrix's precision (a float32 matrix
 * compares with the thresholds rounded to float, as torch compares a tensor with a Python scalar).
 */
public final class Matcher {

    /** A prediction whose best quality is below the low threshold (background). */
    public static final long BELOW_LOW_THRESHOLD = -1;

    /** A prediction whose best quality is between the thresholds (ignored). */
    public static final long BETWEEN_THRESHOLDS = -2;

    private final double highThreshold;
    private final double lowThreshold;
    private final boolean allowLowQualityMatches;

    /**
     * Creates a matcher.
     *
     * @param highThreshold qualities at or above it match
     * @param lowThreshold qualities below it are background
     * @param allowLowQualityMatches keep each ground truth's best predictions matched
     */
    public Matcher(double highThreshold, double lowThreshold, boolean allowLowQualityMatches) {
        if (!(lowThreshold <= highThreshold)) {
            throw new IllegalArgumentException("low_threshold should be <= high_threshold, got low " + lowThreshold
                    + " and high " + highThreshold);
        }
        this.highThreshold = highThreshold;
        this.lowThreshold = lowThreshold;
        this.allowLowQualityMatches = allowLowQualityMatches;
    }

    /**
     * Matches the predictions.
     *
     * @param quality [M, N] float32 or float64 quality of ground truth m with prediction n
     * @return [N] int64 matched ground-truth indices or the negative codes, in the matrix's manager
     * @throws IllegalArgumentException for an empty matrix (torchvision's messages)
     */
    public NDArray match(NDArray quality) {
        Shape s = quality.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("Matcher expects an [M, N] quality matrix, got " + s);
        }
        int m = Math.toIntExact(s.get(0));
        int n = Math.toIntExact(s.get(1));
        if (m == 0) {
            throw new IllegalArgumentException("No ground-truth boxes available for one of the images during training");
        }
        if (n == 0) {
            throw new IllegalArgumentException("No proposal boxes available for one of the images during training");
        }
        boolean single = quality.getDataType() != DataType.FLOAT64;
        double[] q = single ? toDoubles(quality.toType(DataType.FLOAT32, false).toFloatArray())
                : quality.toDoubleArray();
        long[] matches = match(q, m, n, single);
        return quality.getManager().create(matches, new Shape(n));
    }

    long[] match(double[] q, int m, int n, boolean single) {
        double low = single ? (float) lowThreshold : lowThreshold;
        double high = single ? (float) highThreshold : highThreshold;
        long[] best = new long[n];
        double[] bestVal = new double[n];
        for (int j = 0; j < n; j++) {
            double v = q[j];
            int arg = 0;
            for (int i = 1; i < m; i++) {
                if (q[i * n + j] > v) {
                    v = q[i * n + j];
                    arg = i;
                }
            }
            best[j] = arg;
            bestVal[j] = v;
        }
        long[] matches = best.clone();
        for (int j = 0; j < n; j++) {
            if (bestVal[j] < low) {
                matches[j] = BELOW_LOW_THRESHOLD;
            } else if (bestVal[j] < high) {
                matches[j] = BETWEEN_THRESHOLDS;
            }
        }
        if (allowLowQualityMatches) {
            for (int i = 0; i < m; i++) {
                double highest = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    highest = Math.max(highest, q[i * n + j]);
                }
                for (int j = 0; j < n; j++) {
                    if (q[i * n + j] == highest) {
                        matches[j] = best[j];
                    }
                }
            }
        }
        return matches;
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
