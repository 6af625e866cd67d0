package org.fx4j.detection.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.detection.rcnn.DetectionTarget;

/**
 * Turns a {@link CocoDataset} image into what {@code GeneralizedRCNN.losses} takes, as torchvision's
 * detection references do ({@code ConvertCocoPolysToMask}): the image as float32 [3, H, W] in [0, 1];
 * crowd regions dropped; boxes from [x, y, w, h] to [x1, y1, x2, y2], clipped to the image, and
 * annotations whose clipped box is empty dropped; labels the categories' contiguous labels; masks
 * [K, H, W] uint8 from the segmentations (an annotation without one gets its box filled).
 */
public final class CocoSamples {

    private CocoSamples() {}

    /**
     * An image and its training target.
     *
     * @param image [3, H, W] float32
     * @param target its boxes, labels and masks
     */
    public record Sample(NDArray image, DetectionTarget target) {}

    /**
     * Loads one image and its target.
     *
     * @param dataset the dataset
     * @param index the image's position in {@link CocoDataset#images()}
     * @param manager the manager the arrays are created in
     * @param flip whether to flip it horizontally ({@link HorizontalFlip})
     * @return the image and target
     * @throws IOException if the image cannot be read or its size differs from the annotations'
     */
    public static Sample load(CocoDataset dataset, int index, NDManager manager, boolean flip) throws IOException {
        CocoDataset.Image info = dataset.images().get(index);
        BufferedImage picture = dataset.readPicture(info);
        NDArray image = DetectionImages.toArray(picture, manager);
        if (image.getShape().get(0) != 3) {
            NDArray rgb = image.getShape().get(0) == 1 ? image.repeat(0, 3) : image.get("0:3");
            image.close();
            image = rgb;
        }
        int h = info.height();
        int w = info.width();
        List<float[]> boxes = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        List<MaskRle> masks = new ArrayList<>();
        for (CocoDataset.Annotation a : dataset.annotations(info.id())) {
            if (a.crowd()) {
                continue;
            }
            double[] b = a.bbox();
            float x1 = (float) Math.min(Math.max(b[0], 0), w);
            float y1 = (float) Math.min(Math.max(b[1], 0), h);
            float x2 = (float) Math.min(Math.max(b[0] + b[2], 0), w);
            float y2 = (float) Math.min(Math.max(b[1] + b[3], 0), h);
            if (!(x2 > x1 && y2 > y1)) {
                continue;
            }
            boxes.add(new float[] {x1, y1, x2, y2});
            labels.add((long) dataset.label(a.categoryId()));
            masks.add(a.mask() != null ? a.mask()
                    : MaskRle.encode((y, x) -> x + 0.5 >= x1 && x + 0.5 <= x2 && y + 0.5 >= y1 && y + 0.5 <= y2, h, w));
        }
        int k = boxes.size();
        float[] flat = new float[k * 4];
        for (int i = 0; i < k; i++) {
            System.arraycopy(boxes.get(i), 0, flat, 4 * i, 4);
        }
        byte[] pixels = new byte[k * h * w];
        for (int i = 0; i < k; i++) {
            boolean[] m = masks.get(i).decode();
            for (int p = 0; p < m.length; p++) {
                if (m[p]) {
                    pixels[i * h * w + p] = 1;
                }
            }
        }
        DetectionTarget target = new DetectionTarget(manager.create(flat, new Shape(k, 4)),
                manager.create(labels.stream().mapToLong(Long::longValue).toArray(), new Shape(k)),
                manager.create(java.nio.ByteBuffer.wrap(pixels), new Shape(k, h, w), DataType.UINT8));
        Sample sample = new Sample(image, target);
        return flip ? HorizontalFlip.apply(sample) : sample;
    }
}
