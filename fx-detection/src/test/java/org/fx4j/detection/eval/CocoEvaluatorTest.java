package org.fx4j.detection.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.fx4j.detection.eval.CocoEvaluator.Detection;
import org.fx4j.detection.eval.CocoEvaluator.GroundTruth;
import org.fx4j.detection.eval.CocoEvaluator.IouType;
import org.junit.jupiter.api.Test;

/**
 * COCO AP on hand-made cases whose value follows from the definitions: 101-point interpolated
 * precision, IoU thresholds 0.50:0.05:0.95 (a match needs IoU >= threshold), score ties kept in the
 * given order, crowd regions that swallow any number of detections, area ranges and maxDets.
 */
class CocoEvaluatorTest {

    private static final double[] BOX = {10, 10, 100, 100}; // area 10000: large

    private static GroundTruth truth(double[] box) {
        return new GroundTruth(1, 1, box, box[2] * box[3], false, null);
    }

    private static Detection det(double[] box, double score) {
        return new Detection(1, 1, box, score, null);
    }

    private static CocoMetrics eval(List<GroundTruth> g, List<Detection> d) {
        return CocoEvaluator.evaluate(g, d, IouType.BBOX, List.of(1L), List.of(1L));
    }

    @Test
    void aPerfectDetectionScoresOneAndEmptyRangesMinusOne() {
        CocoMetrics m = eval(List.of(truth(BOX)), List.of(det(BOX, 0.9)));
        assertEquals(1.0, m.ap(), 1e-12);
        assertEquals(1.0, m.ap50(), 1e-12);
        assertEquals(-1.0, m.stats()[3], "no small ground truth: -1 as in pycocotools");
        assertEquals(-1.0, m.stats()[4], 1e-12);
        assertEquals(1.0, m.stats()[5], 1e-12);
        assertEquals(1.0, m.stats()[6], "AR@1");
    }

    @Test
    void aHigherScoringFalsePositiveHalvesThePrecision() {
        CocoMetrics m = eval(List.of(truth(BOX)), List.of(det(new double[] {200, 200, 50, 50}, 0.9), det(BOX, 0.8)));
        // precision at recall 1 is 1/2 at every IoU threshold; recall points 0..1 all take it
        assertEquals(0.5, m.ap(), 1e-12);
        assertEquals(0.5, m.ap50(), 1e-12);
        assertEquals(0.0, m.stats()[6], "AR@1: the single best detection misses");
        assertEquals(1.0, m.stats()[7], 1e-12, "AR@10");
    }

    @Test
    void tiedScoresKeepTheGivenOrder() {
        Detection fp = det(new double[] {200, 200, 50, 50}, 0.5);
        Detection tp = det(BOX, 0.5);
        assertEquals(0.5, eval(List.of(truth(BOX)), List.of(fp, tp)).ap(), 1e-12, "false positive first");
        assertEquals(1.0, eval(List.of(truth(BOX)), List.of(tp, fp)).ap(), 1e-12, "true positive first");
    }

    @Test
    void imagesAreTakenInIdOrderAsPycocotoolsSortsThem() {
        // image 2: a far false positive scoring 1.0; image 1: an exact detection scoring 1.0. The tie is
        // broken by image order, and pycocotools sorts the ids: image 1's true positive comes first.
        List<GroundTruth> g = List.of(new GroundTruth(1, 1, BOX, 10000, false, null),
                new GroundTruth(2, 1, BOX, 10000, false, null));
        List<Detection> d = List.of(new Detection(2, 1, new double[] {300, 300, 50, 50}, 1.0, null),
                new Detection(1, 1, BOX, 1.0, null));
        double expected = 51 * 1.0 / 101; // recall 1/2 at precision 1
        assertEquals(expected, CocoEvaluator.evaluate(g, d, IouType.BBOX, List.of(2L, 1L), List.of(1L)).ap(), 1e-12);
        assertEquals(expected, CocoEvaluator.evaluate(g, d, IouType.BBOX, List.of(1L, 2L, 2L), List.of(1L)).ap(), 1e-12,
                "duplicate ids count once");
    }

    @Test
    void aMatchNeedsIouAtLeastTheThreshold() {
        // 100 x 100 truth, detection 100 x 60 inside it: IoU exactly 0.6 -> matched at 0.50, 0.55, 0.60
        CocoMetrics m = eval(List.of(truth(BOX)), List.of(det(new double[] {10, 10, 100, 60}, 0.9)));
        assertEquals(0.3, m.ap(), 1e-12);
        assertEquals(1.0, m.ap50(), 1e-12);
        assertEquals(0.0, m.ap75(), 1e-12);
    }

    @Test
    void crowdRegionsSwallowDetectionsWithoutCountingThem() {
        GroundTruth crowd = new GroundTruth(1, 1, new double[] {300, 300, 200, 200}, 40000, true, null);
        List<Detection> dets = new ArrayList<>();
        // three high-scoring detections inside the crowd region (IoU over their own area = 1), then the true one
        for (int i = 0; i < 3; i++) {
            dets.add(det(new double[] {310 + 50 * i, 310, 40, 40}, 0.95));
        }
        dets.add(det(BOX, 0.5));
        CocoMetrics m = eval(List.of(truth(BOX), crowd), dets);
        assertEquals(1.0, m.ap(), 1e-12, "detections in a crowd region are ignored, not false positives");
        // without the crowd flag the three are false positives ahead of the true one: precision 1/4
        GroundTruth plain = new GroundTruth(1, 1, new double[] {300, 300, 200, 200}, 40000, false, null);
        // and the region counts as a missed object: recall reaches 1/2, so 51 of the 101 recall points
        assertEquals(51 * 0.25 / 101, eval(List.of(truth(BOX), plain), dets).ap50(), 1e-12);
    }

    @Test
    void smallObjectsAreScoredInTheirRangeOnly() {
        double[] small = {0, 0, 20, 20}; // area 400 < 32^2
        GroundTruth g = new GroundTruth(1, 1, small, 400, false, null);
        CocoMetrics m = eval(List.of(g, truth(BOX)), List.of(det(small, 0.9)));
        assertEquals(1.0, m.stats()[3], 1e-12, "AP small");
        assertEquals(0.0, m.stats()[5], "AP large: the large truth is missed");
        assertEquals(0.5, m.stats()[8], 1e-12, "AR@100 over both");
    }

    @Test
    void masksUseMaskIou() {
        org.fx4j.detection.data.MaskRle full = org.fx4j.detection.data.MaskRle.encode((y, x) -> x < 10, 10, 20);
        org.fx4j.detection.data.MaskRle half = org.fx4j.detection.data.MaskRle.encode((y, x) -> x < 5, 10, 20);
        GroundTruth g = new GroundTruth(1, 1, new double[] {0, 0, 10, 10}, 100, false, full);
        // same box, mask IoU 0.5: a mask match at 0.50 only
        Detection d = new Detection(1, 1, new double[] {0, 0, 10, 10}, 0.9, half);
        CocoMetrics m = CocoEvaluator.evaluate(List.of(g), List.of(d), IouType.SEGM, List.of(1L), List.of(1L));
        assertEquals(1.0, m.ap50(), 1e-12);
        assertEquals(0.1, m.ap(), 1e-12);
        assertEquals(1.0, CocoEvaluator.evaluate(List.of(g), List.of(d), IouType.BBOX, List.of(1L),
                List.of(1L)).ap(), 1e-12);
    }
}
