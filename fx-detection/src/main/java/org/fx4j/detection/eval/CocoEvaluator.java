package org.fx4j.detection.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.data.MaskRle;

/**
 * COCO's detection evaluation with pycocotools' definitions ({@code COCOeval} with its default
 * parameters): IoU thresholds 0.50:0.05:0.95, 101 recall points, area ranges all / small (< 32²) /
 * medium / large (> 96²) on the ground truth's {@code area}, at most 1, 10, 100 detections per image
 * and category; crowd ground truths match any number of detections with IoU taken over the
 * detection's area, and detections matched to them, or unmatched and outside the area range, are
 * ignored; detections are ranked by score with ties kept in their given order (numpy's stable
 * mergesort; images in ascending id order, as pycocotools sorts them). The twelve numbers of {@code
 * COCOeval.summarize} come back as {@link CocoMetrics}. One deliberate difference: pycocotools marks a
 * detection matched to a ground truth whose annotation id is 0 as unmatched (it stores the id and
 * tests it for 0); here a match is a match, whatever the id.
 */
public final class CocoEvaluator {

    /** What an IoU is computed on. */
    public enum IouType {
        /** Boxes ({@code iouType='bbox'}). */
        BBOX,
        /** Masks ({@code iouType='segm'}). */
        SEGM
    }

    /**
     * A ground-truth object.
     *
     * @param imageId its image
     * @param categoryId its category
     * @param bbox [x, y, w, h]
     * @param area the area the size ranges use (COCO's {@code area} field)
     * @param crowd whether it is a crowd region
     * @param mask its mask (needed for {@link IouType#SEGM})
     */
    public record GroundTruth(long imageId, long categoryId, double[] bbox, double area, boolean crowd, MaskRle mask) {}

    /**
     * A detection.
     *
     * @param imageId its image
     * @param categoryId its category
     * @param bbox [x, y, w, h]
     * @param score its score
     * @param mask its mask (needed for {@link IouType#SEGM})
     */
    public record Detection(long imageId, long categoryId, double[] bbox, double score, MaskRle mask) {}

    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    static final double[] RECALL_THRESHOLDS = linspace(0, 1, 101);
    static final int[] MAX_DETS = {1, 10, 100};
    static final double[][] AREA_RANGES = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

    private CocoEvaluator() {}

    /** numpy's linspace: start + i * step, the last value exactly {@code stop}. */
    private static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] v = new double[num];
        for (int i = 0; i < num; i++) {
            v[i] = i * step + start;
        }
        v[num - 1] = stop;
        return v;
    }

    /** One (image, category, area range) evaluation: pycocotools' evaluateImg result. */
    private record ImageResult(double[] scores, boolean[][] matched, boolean[][] ignored, int nonIgnoredGt) {}

    /**
     * Evaluates detections against ground truths.
     *
     * @param truths the ground truths of the evaluated images
     * @param detections the detections
     * @param type boxes or masks
     * @param imageIds the evaluated images (pycocotools' {@code params.imgIds}); detections and truths
     *     of other images are left out
     * @param categoryIds the evaluated categories ({@code params.catIds})
     * @return the twelve summary numbers
     * @throws IllegalArgumentException if masks are needed and missing, or sizes differ
     */
    public static CocoMetrics evaluate(List<GroundTruth> truths, List<Detection> detections, IouType type,
            List<Long> imageIds, List<Long> categoryIds) {
        // pycocotools' params: np.unique of the ids (sorted, without duplicates); the order matters for
        // detections whose scores tie across images.
        imageIds = imageIds.stream().distinct().sorted().toList();
        categoryIds = categoryIds.stream().distinct().sorted().toList();
        Map<Long, Map<Long, List<GroundTruth>>> gts = new HashMap<>();
        for (GroundTruth g : truths) {
            if (type == IouType.SEGM && g.mask() == null) {
                throw new IllegalArgumentException("mask evaluation needs every ground truth's mask; image "
                        + g.imageId() + " has one without");
            }
            gts.computeIfAbsent(g.imageId(), k -> new HashMap<>()).computeIfAbsent(g.categoryId(),
                    k -> new ArrayList<>()).add(g);
        }
        Map<Long, Map<Long, List<Detection>>> dts = new HashMap<>();
        for (Detection d : detections) {
            if (type == IouType.SEGM && d.mask() == null) {
                throw new IllegalArgumentException("mask evaluation needs every detection's mask; image "
                        + d.imageId() + " has one without");
            }
            dts.computeIfAbsent(d.imageId(), k -> new HashMap<>()).computeIfAbsent(d.categoryId(),
                    k -> new ArrayList<>()).add(d);
        }
        int nT = IOU_THRESHOLDS.length;
        int nR = RECALL_THRESHOLDS.length;
        int nK = categoryIds.size();
        int nA = AREA_RANGES.length;
        int nM = MAX_DETS.length;
        double[][][][][] precision = new double[nT][nR][nK][nA][nM];
        double[][][][] recall = new double[nT][nK][nA][nM];
        for (double[][][][] a : precision) {
            for (double[][][] b : a) {
                for (double[][] c : b) {
                    for (double[] d : c) {
                        Arrays.fill(d, -1);
                    }
                }
            }
        }
        for (double[][][] a : recall) {
            for (double[][] b : a) {
                for (double[] c : b) {
                    Arrays.fill(c, -1);
                }
            }
        }
        int maxDetLast = MAX_DETS[nM - 1];
        for (int k = 0; k < nK; k++) {
            long cat = categoryIds.get(k);
            List<ImageResult[]> perImage = new ArrayList<>();
            for (long img : imageIds) {
                List<GroundTruth> g = gts.getOrDefault(img, Map.of()).getOrDefault(cat, List.of());
                List<Detection> d = new ArrayList<>(dts.getOrDefault(img, Map.of()).getOrDefault(cat, List.of()));
                d.sort(Comparator.comparingDouble(x -> -x.score())); // stable, as mergesort
                if (d.size() > maxDetLast) {
                    d = new ArrayList<>(d.subList(0, maxDetLast));
                }
                double[][] ious = ious(d, g, type);
                ImageResult[] byArea = new ImageResult[nA];
                for (int a = 0; a < nA; a++) {
                    byArea[a] = evaluateImage(g, d, ious, AREA_RANGES[a], maxDetLast, type);
                }
                perImage.add(byArea);
            }
            for (int a = 0; a < nA; a++) {
                for (int m = 0; m < nM; m++) {
                    accumulate(perImage, a, MAX_DETS[m], precision, recall, k, m);
                }
            }
        }
        double[] stats = new double[12];
        stats[0] = mean(precision, -1, 0, 2);
        stats[1] = mean(precision, 0, 0, 2);
        stats[2] = mean(precision, 5, 0, 2);
        stats[3] = mean(precision, -1, 1, 2);
        stats[4] = mean(precision, -1, 2, 2);
        stats[5] = mean(precision, -1, 3, 2);
        stats[6] = meanRecall(recall, 0, 0);
        stats[7] = meanRecall(recall, 0, 1);
        stats[8] = meanRecall(recall, 0, 2);
        stats[9] = meanRecall(recall, 1, 2);
        stats[10] = meanRecall(recall, 2, 2);
        stats[11] = meanRecall(recall, 3, 2);
        return new CocoMetrics(type, stats);
    }

    /** IoUs [detections][truths] (pycocotools' computeIoU). */
    private static double[][] ious(List<Detection> d, List<GroundTruth> g, IouType type) {
        double[][] out = new double[d.size()][g.size()];
        for (int i = 0; i < d.size(); i++) {
            for (int j = 0; j < g.size(); j++) {
                GroundTruth t = g.get(j);
                out[i][j] = type == IouType.SEGM ? MaskRle.iou(d.get(i).mask(), t.mask(), t.crowd())
                        : boxIou(d.get(i).bbox(), t.bbox(), t.crowd());
            }
        }
        return out;
    }

    /** pycocotools' bbIou on [x, y, w, h]: over the union, or the detection's area for a crowd. */
    static double boxIou(double[] d, double[] g, boolean crowd) {
        double w = Math.min(d[0] + d[2], g[0] + g[2]) - Math.max(d[0], g[0]);
        if (w <= 0) {
            return 0;
        }
        double h = Math.min(d[1] + d[3], g[1] + g[3]) - Math.max(d[1], g[1]);
        if (h <= 0) {
            return 0;
        }
        double inter = w * h;
        double da = d[2] * d[3];
        double union = crowd ? da : da + g[2] * g[3] - inter;
        return inter / union;
    }

    /** pycocotools' evaluateImg for one image, category and area range; null without truths and detections. */
    private static ImageResult evaluateImage(List<GroundTruth> g, List<Detection> d, double[][] ious,
            double[] range, int maxDet, IouType type) {
        if (g.isEmpty() && d.isEmpty()) {
            return null;
        }
        int nG = g.size();
        boolean[] gIgnore = new boolean[nG];
        for (int j = 0; j < nG; j++) {
            GroundTruth t = g.get(j);
            gIgnore[j] = t.crowd() || t.area() < range[0] || t.area() > range[1];
        }
        // Non-ignored truths first, order otherwise kept.
        Integer[] gOrder = new Integer[nG];
        for (int j = 0; j < nG; j++) {
            gOrder[j] = j;
        }
        Arrays.sort(gOrder, Comparator.comparingInt(j -> gIgnore[j] ? 1 : 0));
        int nD = Math.min(d.size(), maxDet);
        int nT = IOU_THRESHOLDS.length;
        boolean[][] gMatched = new boolean[nT][nG];
        boolean[][] dMatched = new boolean[nT][nD];
        boolean[][] dIgnore = new boolean[nT][nD];
        for (int t = 0; t < nT; t++) {
            for (int i = 0; i < nD; i++) {
                double best = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
                int m = -1;
                for (int jj = 0; jj < nG; jj++) {
                    int j = gOrder[jj];
                    if (gMatched[t][jj] && !g.get(j).crowd()) {
                        continue;
                    }
                    if (m > -1 && !gIgnore[gOrder[m]] && gIgnore[j]) {
                        break;
                    }
                    if (ious[i][j] < best) {
                        continue;
                    }
                    best = ious[i][j];
                    m = jj;
                }
                if (m == -1) {
                    continue;
                }
                dIgnore[t][i] = gIgnore[gOrder[m]];
                dMatched[t][i] = true;
                gMatched[t][m] = true;
            }
        }
        double[] scores = new double[nD];
        for (int i = 0; i < nD; i++) {
            Detection det = d.get(i);
            scores[i] = det.score();
            double area = areaOf(det, type);
            boolean outside = area < range[0] || area > range[1];
            for (int t = 0; t < nT; t++) {
                dIgnore[t][i] |= !dMatched[t][i] && outside;
            }
        }
        int nonIgnored = 0;
        for (boolean b : gIgnore) {
            nonIgnored += b ? 0 : 1;
        }
        return new ImageResult(scores, dMatched, dIgnore, nonIgnored);
    }

    /** The detection's area as pycocotools' loadRes sets it: the mask's area for masks, else the box's w*h. */
    private static double areaOf(Detection det, IouType type) {
        return type == IouType.SEGM ? det.mask().area() : det.bbox()[2] * det.bbox()[3];
    }

    /** pycocotools' accumulate for one category, area range and detection limit. */
    private static void accumulate(List<ImageResult[]> perImage, int a, int maxDet, double[][][][][] precision,
            double[][][][] recall, int k, int m) {
        List<ImageResult> results = new ArrayList<>();
        for (ImageResult[] r : perImage) {
            if (r[a] != null) {
                results.add(r[a]);
            }
        }
        if (results.isEmpty()) {
            return;
        }
        int total = 0;
        int npig = 0;
        for (ImageResult r : results) {
            total += Math.min(maxDet, r.scores().length);
            npig += r.nonIgnoredGt();
        }
        if (npig == 0) {
            return;
        }
        double[] scores = new double[total];
        int[] owner = new int[total];
        int[] pos = new int[total];
        int n = 0;
        for (int ri = 0; ri < results.size(); ri++) {
            ImageResult r = results.get(ri);
            for (int i = 0; i < Math.min(maxDet, r.scores().length); i++) {
                scores[n] = r.scores()[i];
                owner[n] = ri;
                pos[n] = i;
                n++;
            }
        }
        Integer[] order = new Integer[total];
        for (int i = 0; i < total; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingDouble(i -> -scores[i])); // stable
        int nT = IOU_THRESHOLDS.length;
        for (int t = 0; t < nT; t++) {
            double[] rc = new double[total];
            double[] pr = new double[total];
            double tp = 0;
            double fp = 0;
            int nd = 0;
            for (int s = 0; s < total; s++) {
                ImageResult r = results.get(owner[order[s]]);
                int i = pos[order[s]];
                boolean matched = r.matched()[t][i];
                boolean ignored = r.ignored()[t][i];
                if (matched && !ignored) {
                    tp++;
                } else if (!matched && !ignored) {
                    fp++;
                }
                rc[nd] = tp / npig;
                pr[nd] = tp / (fp + tp + Math.ulp(1.0));
                nd++;
            }
            recall[t][k][a][m] = nd > 0 ? rc[nd - 1] : 0;
            for (int i = nd - 1; i > 0; i--) {
                if (pr[i] > pr[i - 1]) {
                    pr[i - 1] = pr[i];
                }
            }
            int ri = 0;
            for (int q = 0; q < RECALL_THRESHOLDS.length; q++) {
                double thr = RECALL_THRESHOLDS[q];
                while (ri < nd && rc[ri] < thr) {
                    ri++;
                }
                precision[t][q][k][a][m] = ri < nd ? pr[ri] : 0;
            }
        }
    }

    private static double mean(double[][][][][] precision, int t, int a, int m) {
        double sum = 0;
        long n = 0;
        for (int ti = 0; ti < precision.length; ti++) {
            if (t >= 0 && ti != t) {
                continue;
            }
            for (double[][][] byCategory : precision[ti]) {
                for (double[][] kk : byCategory) {
                    double v = kk[a][m];
                    if (v > -1) {
                        sum += v;
                        n++;
                    }
                }
            }
        }
        return n == 0 ? -1 : sum / n;
    }

    private static double meanRecall(double[][][][] recall, int a, int m) {
        double sum = 0;
        long n = 0;
        for (double[][][] byT : recall) {
            for (double[][] kk : byT) {
                double v = kk[a][m];
                if (v > -1) {
                    sum += v;
                    n++;
                }
            }
        }
        return n == 0 ? -1 : sum / n;
    }
}
