package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * One training image's ground truth, torchvision's target dict: {@code boxes} [K, 4] (x1, y1, x2, y2
 * in the image's pixels, float), {@code labels} [K] int64 classes (0 is background), and for Mask
 * R-CNN {@code masks} [K, H, W] of the image's size (0/1 values, any numeric type). K may be 0 (an
 * image without objects).
 *
 * @param boxes [K, 4] boxes
 * @param labels [K] labels
 * @param masks [K, H, W] masks, or null without a mask branch
 */
public record DetectionTarget(NDArray boxes, NDArray labels, NDArray masks) {

    /**
     * Checks the target as torchvision does, and what torchvision leaves to a crash (labels in range,
     * masks of the image's size).
     *
     * @param index the target's position, for messages
     * @param height the image's height
     * @param width the image's width
     * @param numClasses the model's classes (background included)
     * @param needMasks whether the model has a mask branch
     * @throws IllegalArgumentException naming the target and what is wrong
     */
    public void validate(int index, long height, long width, long numClasses, boolean needMasks) {
        if (boxes == null || labels == null) {
            throw new IllegalArgumentException("target " + index + " needs boxes and labels");
        }
        if (!boxes.getDataType().isFloating()) {
            throw new IllegalArgumentException("target boxes must of float type, instead got " + boxes.getDataType()
                    + " (target " + index + ")");
        }
        Shape bs = boxes.getShape();
        if (bs.dimension() != 2 || bs.get(1) != 4) {
            throw new IllegalArgumentException("Expected target boxes to be a tensor of shape [N, 4], got " + bs
                    + " (target " + index + ")");
        }
        long k = bs.get(0);
        if (labels.getDataType() != DataType.INT64 || labels.getShape().dimension() != 1
                || labels.getShape().get(0) != k) {
            throw new IllegalArgumentException("target " + index + ": labels must be int64 of shape [" + k + "], got "
                    + labels.getDataType() + " " + labels.getShape());
        }
        checkPositiveBoxes(index);
        long[] l = labels.toLongArray();
        for (int i = 0; i < l.length; i++) {
            if (l[i] < 0 || l[i] >= numClasses) {
                throw new IllegalArgumentException("target " + index + ": label " + l[i] + " of object " + i
                        + " is outside [0, " + numClasses + "); the model was built for " + numClasses
                        + " classes (background included)");
            }
        }
        if (!needMasks) {
            return;
        }
        if (masks == null) {
            throw new IllegalArgumentException("Every element of targets should have a masks key (target " + index
                    + ")");
        }
        Shape ms = masks.getShape();
        if (ms.dimension() != 3 || ms.get(0) != k || ms.get(1) != height || ms.get(2) != width) {
            throw new IllegalArgumentException("target " + index + ": masks must be [" + k + ", " + height + ", "
                    + width + "] (one per box, the image's size), got " + ms);
        }
        if (k > 0) {
            boolean binary;
            try (NDArray m = masks.toType(DataType.FLOAT64, true);
                    NDArray zero = m.eq(0);
                    NDArray one = m.eq(1);
                    NDArray either = zero.logicalOr(one);
                    NDArray all = either.all()) {
                binary = all.getBoolean();
            }
            if (!binary) {
                throw new IllegalArgumentException("target " + index + ": masks must hold 0 and 1 only");
            }
        }
    }

    /**
     * Checks that every box has positive width and height (and finite coordinates), with
     * torchvision's message; the model checks again after resizing, where float32 ratios can merge
     * the sides of a very thin box.
     *
     * @param index the target's position, for the message
     * @throws IllegalArgumentException naming the box and the target
     */
    public void checkPositiveBoxes(int index) {
        double[] b;
        try (NDArray copy = boxes.toType(DataType.FLOAT64, true)) {
            b = copy.toDoubleArray();
        }
        for (int i = 0; i < b.length / 4; i++) {
            boolean finite = true;
            for (int j = 0; j < 4; j++) {
                finite &= Double.isFinite(b[i * 4 + j]);
            }
            if (!finite || !(b[i * 4 + 2] > b[i * 4]) || !(b[i * 4 + 3] > b[i * 4 + 1])) {
                throw new IllegalArgumentException("All bounding boxes should have positive height and width. Found"
                        + " invalid box " + Arrays.toString(Arrays.copyOfRange(b, i * 4, i * 4 + 4))
                        + " for target at index " + index + ".");
            }
        }
    }
}
