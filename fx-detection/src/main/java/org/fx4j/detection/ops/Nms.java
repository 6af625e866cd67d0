package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.ops.Precision;

/**
 * torchvision's {@code nms} and {@code batched_nms}: greedy non-maximum suppression. Boxes are
 * visited by descending score (a stable sort: equal scores keep their input order, as torchvision's
 * {@code nms}; torchvision's per-category path orders its result with an unstable sort, so among equal
 * scores above 1000 boxes its order is unspecified, where fx4j keeps input order); a box is dropped
 * when its IoU with a kept box exceeds the threshold, the IoU computed in the boxes' precision as
 * torchvision's CPU kernel computes it. {@code batchedNms} suppresses only within a category, with
 * torchvision's two strategies chosen as torchvision chooses them on the CPU: per-category runs for
 * more than 1000 boxes (run in parallel), otherwise one run over boxes offset per category. Boxes with
 * NaN or infinite coordinates give torchvision's results: where Java's max/min and C++'s differ, one
 * box's area is NaN, so the IoU is NaN on both sides and suppresses nothing.
 */
public final class Nms {

    /** torchvision switches to per-category runs above this many box coordinates (CPU). */
    private static final int VANILLA_ABOVE_NUMEL = 4000;

    private Nms() {}

    /**
     * {@code nms(boxes, scores, iou_threshold)}.
     *
     * @param boxes [N, 4] (x1, y1, x2, y2), float32 or float64
     * @param scores [N]
     * @param iouThreshold boxes overlapping a kept box by more than this are dropped
     * @return the kept indices (int64), by descending score, in the boxes' manager
     */
    public static NDArray nms(NDArray boxes, NDArray scores, double iouThreshold) {
        check(boxes, scores, null);
        Precision p = Precision.of(boxes);
        double[] coordinates = Precision.values(boxes);
        int[] keep = nms(coordinates, Precision.values(scores), iouThreshold, p);
        return indices(boxes, keep);
    }

    /**
     * {@code batched_nms(boxes, scores, idxs, iou_threshold)}: suppression within each category.
     *
     * @param boxes [N, 4]
     * @param scores [N]
     * @param idxs [N] integer categories
     * @param iouThreshold the IoU threshold
     * @return the kept indices (int64), by descending score
     */
    public static NDArray batchedNms(NDArray boxes, NDArray scores, NDArray idxs, double iouThreshold) {
        check(boxes, scores, idxs);
        long[] categories = idxs.toType(DataType.INT64, false).toLongArray();
        int[] keep = batchedNms(Precision.values(boxes), Precision.values(scores), categories, iouThreshold,
                Precision.of(boxes));
        return indices(boxes, keep);
    }

    /**
     * {@code batched_nms} on Java arrays.
     *
     * @param boxes 4 coordinates per box
     * @param scores one per box
     * @param categories one per box
     * @param iouThreshold the IoU threshold
     * @param p the precision of the IoU arithmetic
     * @return kept indices by descending score (stable)
     */
    static int[] batchedNms(double[] boxes, double[] scores, long[] categories, double iouThreshold, Precision p) {
        int n = scores.length;
        if (n == 0) {
            return new int[0];
        }
        if (boxes.length > VANILLA_ABOVE_NUMEL) {
            Map<Long, List<Integer>> byCategory = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                byCategory.computeIfAbsent(categories[i], c -> new ArrayList<>()).add(i);
            }
            boolean[] kept = new boolean[n];
            // Categories are independent: they run in parallel, each marking only its own members.
            new ArrayList<>(byCategory.values()).parallelStream().forEach(members -> {
                double[] b = new double[members.size() * 4];
                double[] s = new double[members.size()];
                for (int j = 0; j < members.size(); j++) {
                    System.arraycopy(boxes, members.get(j) * 4, b, j * 4, 4);
                    s[j] = scores[members.get(j)];
                }
                for (int j : nms(b, s, iouThreshold, p)) {
                    kept[members.get(j)] = true;
                }
            });
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (kept[i]) {
                    keep.add(i);
                }
            }
            keep.sort((a, b) -> Double.compare(key(scores[b]), key(scores[a])));
            return keep.stream().mapToInt(Integer::intValue).toArray();
        }
        // Coordinate trick: offset each category by idx * (max coordinate + 1), in the boxes' precision.
        double max = Double.NEGATIVE_INFINITY;
        for (double v : boxes) {
            max = Math.max(max, v);
        }
        double step = p.r(max + 1);
        double[] shifted = new double[boxes.length];
        for (int i = 0; i < n; i++) {
            double offset = p.r(p.r(categories[i]) * step);
            for (int j = 0; j < 4; j++) {
                shifted[i * 4 + j] = p.r(boxes[i * 4 + j] + offset);
            }
        }
        return nms(shifted, scores, iouThreshold, p);
    }

    /**
     * Greedy suppression on Java arrays, as torchvision's CPU kernel.
     *
     * @param boxes 4 coordinates per box
     * @param scores one per box
     * @param iouThreshold the IoU threshold
     * @param p the precision of the arithmetic
     * @return kept indices by descending score
     */
    static int[] nms(double[] boxes, double[] scores, double iouThreshold, Precision p) {
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // torch's descending sort puts NaN first; a stable sort keeps ties in input order.
        Arrays.sort(order, (a, b) -> Double.compare(key(scores[b]), key(scores[a])));
        int[] kept = p.isSingle() ? suppressFloat(boxes, order, iouThreshold)
                : suppressDouble(boxes, order, iouThreshold);
        int[] keep = new int[kept.length];
        for (int k = 0; k < kept.length; k++) {
            keep[k] = order[kept[k]];
        }
        return keep;
    }

    /*
     * The two kernels below are torchvision's CPU loop in float and in double arithmetic. Boxes are
     * copied in visiting order; each kept box's IoUs with all later boxes are computed in one loop
     * the JIT vectorises (suppressed or not), then compared in a second: about 2 ns per pair here,
     * where the one-loop form with a branch or a boolean store takes about 9. Math.max/min differ from
     * C++'s std::max/min only where a coordinate is NaN or a width is inf - inf, and then an area is
     * NaN, so the IoU is NaN on both sides and suppresses nothing, as in torchvision.
     */

    /**
     * The largest float at or below {@code t}: for a float {@code f}, {@code f > t} exactly when
     * {@code f > floatBelowOrAt(t)}, so a float IoU is compared with a double threshold in float.
     */
    static float floatBelowOrAt(double t) {
        float f = (float) t;
        return f > t ? Math.nextDown(f) : f;
    }

    private static int[] suppressFloat(double[] boxes, Integer[] order, double iouThreshold) {
        int n = order.length;
        float[] x1 = new float[n];
        float[] y1 = new float[n];
        float[] x2 = new float[n];
        float[] y2 = new float[n];
        float[] areas = new float[n];
        for (int k = 0; k < n; k++) {
            int i = order[k] * 4;
            x1[k] = (float) boxes[i];
            y1[k] = (float) boxes[i + 1];
            x2[k] = (float) boxes[i + 2];
            y2[k] = (float) boxes[i + 3];
            areas[k] = (x2[k] - x1[k]) * (y2[k] - y1[k]);
        }
        float[] iou = new float[n];
        float threshold = floatBelowOrAt(iouThreshold);
        boolean[] suppressed = new boolean[n];
        int[] keep = new int[n];
        int kept = 0;
        for (int k = 0; k < n; k++) {
            if (suppressed[k]) {
                continue;
            }
            keep[kept++] = k;
            float ix1 = x1[k];
            float iy1 = y1[k];
            float ix2 = x2[k];
            float iy2 = y2[k];
            float iarea = areas[k];
            for (int j = k + 1; j < n; j++) {
                float w = Math.max(0f, Math.min(ix2, x2[j]) - Math.max(ix1, x1[j]));
                float h = Math.max(0f, Math.min(iy2, y2[j]) - Math.max(iy1, y1[j]));
                float inter = w * h;
                iou[j] = inter / (iarea + areas[j] - inter);
            }
            for (int j = k + 1; j < n; j++) {
                if (iou[j] > threshold) {
                    suppressed[j] = true;
                }
            }
        }
        return Arrays.copyOf(keep, kept);
    }

    private static int[] suppressDouble(double[] boxes, Integer[] order, double iouThreshold) {
        int n = order.length;
        double[] x1 = new double[n];
        double[] y1 = new double[n];
        double[] x2 = new double[n];
        double[] y2 = new double[n];
        double[] areas = new double[n];
        for (int k = 0; k < n; k++) {
            int i = order[k] * 4;
            x1[k] = boxes[i];
            y1[k] = boxes[i + 1];
            x2[k] = boxes[i + 2];
            y2[k] = boxes[i + 3];
            areas[k] = (x2[k] - x1[k]) * (y2[k] - y1[k]);
        }
        double[] iou = new double[n];
        boolean[] suppressed = new boolean[n];
        int[] keep = new int[n];
        int kept = 0;
        for (int k = 0; k < n; k++) {
            if (suppressed[k]) {
                continue;
            }
            keep[kept++] = k;
            double ix1 = x1[k];
            double iy1 = y1[k];
            double ix2 = x2[k];
            double iy2 = y2[k];
            double iarea = areas[k];
            for (int j = k + 1; j < n; j++) {
                double w = Math.max(0d, Math.min(ix2, x2[j]) - Math.max(ix1, x1[j]));
                double h = Math.max(0d, Math.min(iy2, y2[j]) - Math.max(iy1, y1[j]));
                double inter = w * h;
                iou[j] = inter / (iarea + areas[j] - inter);
            }
            for (int j = k + 1; j < n; j++) {
                if (iou[j] > iouThreshold) {
                    suppressed[j] = true;
                }
            }
        }
        return Arrays.copyOf(keep, kept);
    }

    /**
     * A score's sort key: torch's descending sort puts NaN first (Double.compare ranks it above +inf)
     * and ties 0.0 with -0.0.
     */
    private static double key(double score) {
        return score + 0.0;
    }

    private static NDArray indices(NDArray like, int[] keep) {
        long[] k = new long[keep.length];
        for (int i = 0; i < keep.length; i++) {
            k[i] = keep[i];
        }
        NDArray out = like.getManager().create(k, new Shape(k.length));
        return out.toDevice(like.getDevice(), false);
    }

    private static void check(NDArray boxes, NDArray scores, NDArray idxs) {
        BoxOps.checkBoxes(boxes, "nms");
        long n = boxes.getShape().get(0);
        if (scores.getShape().dimension() != 1 || scores.getShape().get(0) != n) {
            throw new IllegalArgumentException("nms expects scores of shape [" + n + "] for " + n + " boxes, got "
                    + scores.getShape());
        }
        if (idxs != null && (idxs.getShape().dimension() != 1 || idxs.getShape().get(0) != n)) {
            throw new IllegalArgumentException("batched_nms expects idxs of shape [" + n + "] for " + n
                    + " boxes, got " + idxs.getShape());
        }
        DataType t = boxes.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException("nms expects float32 or float64 boxes, got " + t);
        }
    }
}
