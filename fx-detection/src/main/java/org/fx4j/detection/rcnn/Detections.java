package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;

/**
 * The detections of one image, as torchvision's result dict, by descending score.
 *
 * @param boxes [N, 4] x1, y1, x2, y2 in the original image's pixels
 * @param labels [N] int64 class indices (1 .. classes - 1; 0 is the background)
 * @param scores [N] class probabilities
 * @param masks [N, 1, H, W] mask probabilities over the original image (threshold at 0.5), or null for
 *     models without a mask branch
 */
public record Detections(NDArray boxes, NDArray labels, NDArray scores, NDArray masks) {

    /**
     * Returns the number of detections.
     *
     * @return N
     */
    public int size() {
        return (int) scores.getShape().get(0);
    }
}
