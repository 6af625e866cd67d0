package org.fx4j.detection.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.fx4j.detection.rcnn.DetectionTarget;

/**
 * The fixed targets of the training benchmarks ({@code fx bench --maskrcnn --train}, fx-bench's
 * {@code MaskRcnnTrainingBenchmark}, and {@code compare_torchvision.py --maskrcnn-train}, which builds
 * the same ones): three objects per image, boxes at fixed fractions of the image (floored to whole
 * pixels) with their rectangles as masks, labels 1, 2, 3.
 */
public final class BenchmarkTargets {

    /** Boxes as fractions of width and height: x1, y1, x2, y2. */
    private static final double[][] BOXES = {{0.1, 0.1, 0.4, 0.5}, {0.5, 0.2, 0.9, 0.6}, {0.3, 0.6, 0.7, 0.95}};

    private BenchmarkTargets() {}

    /**
     * Builds the target of one image.
     *
     * @param manager where the arrays go
     * @param height the image's height
     * @param width the image's width
     * @return the target
     */
    public static DetectionTarget fixedTarget(NDManager manager, int height, int width) {
        float[] boxes = new float[BOXES.length * 4];
        NDArray masks = manager.zeros(new Shape(BOXES.length, height, width), DataType.UINT8);
        for (int k = 0; k < BOXES.length; k++) {
            int x1 = (int) Math.floor(BOXES[k][0] * width);
            int y1 = (int) Math.floor(BOXES[k][1] * height);
            int x2 = (int) Math.floor(BOXES[k][2] * width);
            int y2 = (int) Math.floor(BOXES[k][3] * height);
            boxes[4 * k] = x1;
            boxes[4 * k + 1] = y1;
            boxes[4 * k + 2] = x2;
            boxes[4 * k + 3] = y2;
            masks.set(new NDIndex(k + ", " + y1 + ":" + y2 + ", " + x1 + ":" + x2), 1);
        }
        return new DetectionTarget(manager.create(boxes, new Shape(BOXES.length, 4)),
                manager.create(new long[] {1, 2, 3}), masks);
    }
}
