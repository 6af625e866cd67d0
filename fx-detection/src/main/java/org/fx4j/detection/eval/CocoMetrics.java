package org.fx4j.detection.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The twelve numbers of pycocotools' {@code COCOeval.summarize}, in its order: AP, AP50, AP75,
 * AP small / medium / large, AR at 1 / 10 / 100 detections, AR small / medium / large. A value is
 * -1 where nothing could be measured (no ground truth in the range), as in pycocotools.
 *
 * @param type boxes or masks
 * @param stats the twelve values
 */
public record CocoMetrics(CocoEvaluator.IouType type, double[] stats) {

    /** The names of the twelve values, as short keys. */
    public static final List<String> NAMES = List.of("AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10",
            "AR100", "ARs", "ARm", "ARl");

    private static final List<String> LINES = List.of(
            "Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
            "Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]",
            "Average Precision  (AP) @[ IoU=0.75      | area=   all | maxDets=100 ]",
            "Average Precision  (AP) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
            "Average Precision  (AP) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
            "Average Precision  (AP) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=  1 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets= 10 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area= small | maxDets=100 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area=medium | maxDets=100 ]",
            "Average Recall     (AR) @[ IoU=0.50:0.95 | area= large | maxDets=100 ]");

    /** Copies the values. */
    public CocoMetrics {
        if (stats.length != 12) {
            throw new IllegalArgumentException("COCO metrics have 12 values, got " + stats.length);
        }
        stats = stats.clone();
    }

    @Override
    public double[] stats() {
        return stats.clone();
    }

    /** @return AP at IoU 0.50:0.95 */
    public double ap() {
        return stats[0];
    }

    /** @return AP at IoU 0.50 */
    public double ap50() {
        return stats[1];
    }

    /** @return AP at IoU 0.75 */
    public double ap75() {
        return stats[2];
    }

    /** @return the values by {@link #NAMES} */
    public Map<String, Double> asMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            m.put(NAMES.get(i), stats[i]);
        }
        return m;
    }

    /** @return pycocotools' summary table, one line per value */
    public String table() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            sb.append(' ').append(LINES.get(i)).append(String.format(Locale.ROOT, " = %.3f", stats[i])).append('\n');
        }
        return sb.toString();
    }
}
