package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.ops.BilinearResize;

/**
 * torchvision's {@code GeneralizedRCNNTransform} at inference: each [3, H, W] image (values in [0,
 * 1]) is normalised by the mean and deviation, resized bilinearly without antialiasing by {@code
 * scale = min(minSize / min(H, W), maxSize / max(H, W))} computed as torch computes it (float32
 * {@code (1 / side) * size}), to {@code floor(H * scale) x floor(W * scale)} (so 480x640 becomes
 * 800x1066 but 333x333 becomes 799x799, as in torchvision), and the batch is
 * zero-padded at the bottom and right to a multiple of {@code sizeDivisible}. {@link #postprocess}
 * maps boxes back to the original size with float32 ratios. It has no parameters.
 */
public final class GeneralizedRCNNTransform {

    private final int minSize;
    private final int maxSize;
    private final double[] mean;
    private final double[] std;
    private final int sizeDivisible;

    /**
     * Creates the transform.
     *
     * @param minSize the shorter side after resizing
     * @param maxSize the longest the longer side may become
     * @param mean per-channel means
     * @param std per-channel deviations
     * @param sizeDivisible batch padding multiple
     */
    public GeneralizedRCNNTransform(int minSize, int maxSize, double[] mean, double[] std, int sizeDivisible) {
        if (minSize <= 0 || maxSize <= 0 || sizeDivisible <= 0) {
            throw new IllegalArgumentException("GeneralizedRCNNTransform needs positive sizes, got min_size=" + minSize
                    + ", max_size=" + maxSize + ", size_divisible=" + sizeDivisible);
        }
        if (mean.length != std.length) {
            throw new IllegalArgumentException("image_mean and image_std need one value per channel each, got "
                    + mean.length + " and " + std.length);
        }
        this.minSize = minSize;
        this.maxSize = maxSize;
        this.mean = mean.clone();
        this.std = std.clone();
        this.sizeDivisible = sizeDivisible;
    }

    /**
     * Creates the transform of a configuration.
     *
     * @param config the configuration
     */
    public GeneralizedRCNNTransform(RcnnConfig config) {
        this(config.minSize, config.maxSize, config.imageMean, config.imageStd, config.sizeDivisible);
    }

    /**
     * The size an image is resized to, with torchvision's float32 scale.
     *
     * @param height the image's height
     * @param width the image's width
     * @return {height, width} after resizing
     */
    public int[] resizedSize(int height, int width) {
        float minSide = Math.min(height, width);
        float maxSide = Math.max(height, width);
        // torchvision divides a Python float by a float32 tensor: torch computes that as reciprocal() * value.
        float scale = Math.min((1f / minSide) * minSize, (1f / maxSide) * maxSize);
        return new int[] {(int) Math.floor(height * (double) scale), (int) Math.floor(width * (double) scale)};
    }

    /**
     * Normalises, resizes and batches images.
     *
     * @param images [C, H, W] images, C = the mean's length, float32 or float64, values in [0, 1]
     * @param manager owns the batch
     * @return the batch and the resized sizes
     * @throws IllegalArgumentException naming the image for a wrong rank, channel count, type or an empty image
     */
    public ImageList transform(List<NDArray> images, NDManager manager) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("no images given; pass at least one [3, H, W] image");
        }
        List<NDArray> resized = new ArrayList<>();
        List<int[]> sizes = new ArrayList<>();
        DataType type = images.get(0).getDataType();
        int maxH = 0;
        int maxW = 0;
        for (int i = 0; i < images.size(); i++) {
            NDArray image = images.get(i);
            Shape s = image.getShape();
            if (s.dimension() != 3) {
                throw new IllegalArgumentException("images are expected to be a list of 3d tensors of shape [C, H, W],"
                        + " got " + s + " (image " + i + ")");
            }
            if (s.get(0) != mean.length) {
                throw new IllegalArgumentException("image " + i + " has " + s.get(0) + " channels, shape " + s
                        + "; the model normalises " + mean.length + " (convert grey or RGBA images to RGB)");
            }
            if (s.get(1) == 0 || s.get(2) == 0) {
                throw new IllegalArgumentException("image " + i + " is empty: shape " + s);
            }
            if (image.getDataType() != DataType.FLOAT32 && image.getDataType() != DataType.FLOAT64) {
                throw new IllegalArgumentException("image " + i + " is " + image.getDataType() + "; expected float32 "
                        + "or float64 values in [0, 1]");
            }
            if (image.getDataType() != type) {
                throw new IllegalArgumentException("image " + i + " is " + image.getDataType() + ", image 0 " + type
                        + "; pass images of one type");
            }
            NDArray normalized = image.sub(column(manager, mean, type)).div(column(manager, std, type));
            int[] size = resizedSize((int) s.get(1), (int) s.get(2));
            if (size[0] == 0 || size[1] == 0) {
                throw new IllegalArgumentException("image " + i + " (" + s.get(1) + "x" + s.get(2) + ") would be resized"
                        + " to " + size[0] + "x" + size[1] + " (min_size " + minSize + ", max_size " + maxSize + "); its"
                        + " sides are too unequal for the model's sizes");
            }
            NDArray r = BilinearResize.resize(normalized, size[0], size[1]);
            normalized.close();
            resized.add(r);
            sizes.add(size);
            maxH = Math.max(maxH, size[0]);
            maxW = Math.max(maxW, size[1]);
        }
        int padH = (int) Math.ceil((double) maxH / sizeDivisible) * sizeDivisible;
        int padW = (int) Math.ceil((double) maxW / sizeDivisible) * sizeDivisible;
        NDArray batch = manager.zeros(new Shape(images.size(), mean.length, padH, padW), type,
                images.get(0).getDevice());
        for (int i = 0; i < resized.size(); i++) {
            batch.set(new NDIndex("{}, :, :{}, :{}", i, sizes.get(i)[0], sizes.get(i)[1]), resized.get(i));
            resized.get(i).close();
        }
        return new ImageList(batch, sizes);
    }

    private static NDArray column(NDManager manager, double[] v, DataType type) {
        // doubles rounded to the images' type, as torch.as_tensor(image_mean, dtype=dtype)
        return manager.create(v).toType(type, false).reshape(v.length, 1, 1);
    }

    /**
     * Scales boxes from the resized image back to the original, with torchvision's float32 ratios.
     *
     * @param boxes [N, 4] in the resized image's pixels
     * @param resized {height, width} after resizing
     * @param original {height, width} before
     * @return [N, 4] in the original image's pixels
     */
    public static NDArray resizeBoxes(NDArray boxes, int[] resized, int[] original) {
        float ratioH = (float) original[0] / (float) resized[0];
        float ratioW = (float) original[1] / (float) resized[1];
        NDManager m = boxes.getManager();
        NDArray ratios = boxes.getDataType() == DataType.FLOAT64
                ? m.create(new double[] {ratioW, ratioH, ratioW, ratioH})
                : m.create(new float[] {ratioW, ratioH, ratioW, ratioH}).toType(boxes.getDataType(), false);
        return boxes.mul(ratios.toDevice(boxes.getDevice(), false));
    }

    /**
     * Resizes a training target with its image, as torchvision's transform: boxes scaled by {@code
     * resized / original} (float32 ratios), masks by nearest-neighbour interpolation (torch's {@code
     * nearest} with the recomputed scale {@code (float) in / out}).
     *
     * @param target the target in original pixels
     * @param original the image's original [H, W]
     * @param resized its resized [H, W]
     * @return the target in resized pixels (the masks as uint8)
     */
    public static DetectionTarget resizeTarget(DetectionTarget target, int[] original, int[] resized) {
        NDArray boxes = resizeBoxes(target.boxes(), original, resized);
        NDArray masks = target.masks();
        if (masks != null) {
            NDManager m = masks.getManager();
            NDArray rows = m.create(nearestIndices(original[0], resized[0]));
            NDArray cols = m.create(nearestIndices(original[1], resized[1]));
            masks = masks.toType(DataType.UINT8, false).get(new NDIndex(":, {}, :", rows)).get(new NDIndex(":, :, {}",
                    cols));
        }
        return new DetectionTarget(boxes, target.labels(), masks);
    }

    /** torch's upsample_nearest source index per output index: identity, halving, or floor(dst * in / out) in float. */
    static long[] nearestIndices(int in, int out) {
        long[] idx = new long[out];
        float scale = (float) in / out;
        for (int d = 0; d < out; d++) {
            if (out == in) {
                idx[d] = d;
            } else if (out == 2 * in) {
                idx[d] = d >> 1;
            } else {
                idx[d] = Math.min((long) Math.floor((float) d * scale), in - 1);
            }
        }
        return idx;
    }
}
