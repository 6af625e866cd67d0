package org.fx4j.detection.data;

import ai.djl.ndarray.NDArray;
import org.fx4j.detection.rcnn.DetectionTarget;

/**
 * torchvision's detection {@code RandomHorizontalFlip} applied: the image and masks mirrored along
 * their width, boxes mapped to {@code [W - x2, y1, W - x1, y2]}, labels kept. The flipped arrays are
 * new (in the sample's managers); the given ones are closed.
 */
public final class HorizontalFlip {

    private HorizontalFlip() {}

    /**
     * Flips a sample.
     *
     * @param sample an image [C, H, W] and its target
     * @return the mirrored sample
     */
    public static CocoSamples.Sample apply(CocoSamples.Sample sample) {
        NDArray image = sample.image();
        long width = image.getShape().get(image.getShape().dimension() - 1);
        NDArray flipped = image.flip(image.getShape().dimension() - 1);
        DetectionTarget t = sample.target();
        NDArray boxes = t.boxes();
        NDArray newBoxes;
        if (boxes.getShape().get(0) == 0) {
            newBoxes = boxes.duplicate();
        } else {
            float[] b = boxes.toFloatArray();
            float[] out = new float[b.length];
            for (int i = 0; i < b.length; i += 4) {
                out[i] = width - b[i + 2];
                out[i + 1] = b[i + 1];
                out[i + 2] = width - b[i];
                out[i + 3] = b[i + 3];
            }
            newBoxes = boxes.getManager().create(out, boxes.getShape());
        }
        NDArray masks = t.masks();
        NDArray newMasks = masks == null ? null
                : masks.getShape().get(0) == 0 ? masks.duplicate() : masks.flip(masks.getShape().dimension() - 1);
        image.close();
        boxes.close();
        if (masks != null) {
            masks.close();
        }
        return new CocoSamples.Sample(flipped, new DetectionTarget(newBoxes, t.labels(), newMasks));
    }
}
