package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * torchvision's {@code ImageList}: a batch of images padded to one size, with each image's size
 * before padding.
 *
 * @param tensors the batch [B, C, H, W]
 * @param imageSizes each image's (height, width) inside the batch
 */
public record ImageList(NDArray tensors, List<int[]> imageSizes) {

    /**
     * Returns the batch's padded height.
     *
     * @return H
     */
    public int height() {
        return (int) tensors.getShape().get(2);
    }

    /**
     * Returns the batch's padded width.
     *
     * @return W
     */
    public int width() {
        return (int) tensors.getShape().get(3);
    }
}
