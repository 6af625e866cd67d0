package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * torchvision's {@code nms} and {@code batched_nms}: greedy non-maximum suppression. Boxes are
 * visited by descending score (a stable sort: equal scores keep their input order, as torchvision's
 * {@code nms}; torchvision's per-category path orders its result with an unstable sort, so among equal
 * scores above 1000 boxes its order is unspecified, where fx4j keeps input order); a box is dropped
 * when its IoU with a kept box exceeds the threshold, the IoU computed in the boxes' precision as
 * torchvision's CPU kernel computes it. {@code batchedNms} suppresses only within a category, with
 * torchvision's two strategies chosen as torchvision chooses them on the CPU: per-category runs for
 * more than 1000 boxes, otherwise one run over boxes offset per category.
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
        int[] keep = nms(Precision.values(boxes), Precision.values(scores), iouThreshold, p);
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
            for (List<Integer> members : byCategory.values()) {
                double[] b = new double[members.size() * 4];
                double[] s = new double[members.size()];
                for (int j = 0; j < members.size(); j++) {
                    System.arraycopy(boxes, members.get(j) * 4, b, j * 4, 4);
                    s[j] = scores[members.get(j)];
                }
                for (int j : nms(b, s, iouThreshold, p)) {
                    kept[members.get(j)] = true;
                }
            }
            List<Integer> keep = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (kept[i]) {
                    keep.add(i);
                }
            }
            keep.sort(Comparator.comparingDouble((Integer i) -> -key(scores[i])));
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
        double[] areas = new double[n];
        for (int i = 0; i < n; i++) {
            areas[i] = p.r(p.r(boxes[i * 4 + 2] - boxes[i * 4]) * p.r(boxes[i * 4 + 3] - boxes[i * 4 + 1]));
        }
        boolean[] suppressed = new boolean[n];
        int[] keep = new int[n];
        int kept = 0;
        for (int oi = 0; oi < n; oi++) {
            int i = order[oi];
            if (suppressed[i]) {
                continue;
            }
            keep[kept++] = i;
            double ix1 = boxes[i * 4];
            double iy1 = boxes[i * 4 + 1];
            double ix2 = boxes[i * 4 + 2];
            double iy2 = boxes[i * 4 + 3];
            for (int oj = oi + 1; oj < n; oj++) {
                int j = order[oj];
                if (suppressed[j]) {
                    continue;
                }
                double w = Math.max(0, p.r(Math.min(ix2, boxes[j * 4 + 2]) - Math.max(ix1, boxes[j * 4])));
                double h = Math.max(0, p.r(Math.min(iy2, boxes[j * 4 + 3]) - Math.max(iy1, boxes[j * 4 + 1])));
                double inter = p.r(w * h);
                double iou = p.r(inter / p.r(p.r(areas[i] + areas[j]) - inter));
                if (iou > iouThreshold) {
                    suppressed[j] = true;
                }
            }
        }
        return Arrays.copyOf(keep, kept);
    }

    private static double key(double score) {
        return Double.isNaN(score) ? Double.POSITIVE_INFINITY : score;
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
