/**
 * COCO box and mask evaluation with pycocotools' definitions ({@link
 * org.fx4j.detection.eval.CocoEvaluator}, {@link org.fx4j.detection.eval.CocoMetrics}) and the
 * evaluation of a detection model on a COCO dataset ({@link org.fx4j.detection.eval.DetectionEvaluation}).
 */
package org.fx4j.detection.eval;
