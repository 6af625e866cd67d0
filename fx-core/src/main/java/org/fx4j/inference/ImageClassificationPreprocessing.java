package org.fx4j.inference;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Transform;
import java.util.Arrays;
import org.fx4j.ops.BilinearResize;

/**
 * torchvision's {@code ImageClassification} preset (what {@code ResNet50_Weights.transforms()}
 * returns) on image arrays: resize so the shorter side is {@code resizeSize} (the longer one {@code
 * int(resizeSize * long / short)}), bilinear with {@code align_corners=False}; a centre crop of
 * {@code cropSize} (offsets rounded half to even, as Python's {@code round}; zero padding when the
 * image is smaller); then {@code (x - mean) / std} per channel.
 *
 * <p>torchvision 0.14 resizes a tensor without antialiasing (the default here) and a PIL image with
 * PIL's antialiased filter; {@code antialias = true} gives torch's {@code antialias=True} filter,
 * which torch documents as close to PIL's. Input: {@code [C, H, W]} or {@code [N, C, H, W]},
 * floating with values in [0, 1], or uint8 (divided by 255 first; torchvision would resize a uint8 tensor and round back to
 * uint8 before that division). Output in the input's floating type (float32 for uint8).
 */
public final class ImageClassificationPreprocessing implements Transform {

    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    /** The largest interpolation matrix (output x input side) built for one axis. */
    private static final long MAX_WEIGHTS = 1L << 26;

    private final int resizeSize;
    private final int cropSize;
    private final double[] mean;
    private final double[] std;
    private final boolean antialias;

    /**
     * Creates the preprocessing.
     *
     * @param resizeSize the shorter side after resizing
     * @param cropSize the centre crop's side
     * @param mean the channel means (as torchvision's {@code mean}, given as floats)
     * @param std the channel standard deviations
     * @param antialias true for torch's antialiased bilinear filter
     * @throws IllegalArgumentException for sizes below 1, mismatched or non-positive statistics
     */
    public ImageClassificationPreprocessing(int resizeSize, int cropSize, float[] mean, float[] std,
            boolean antialias) {
        if (resizeSize < 1 || cropSize < 1) {
            throw new IllegalArgumentException("resize and crop sizes must be positive, got " + resizeSize + " and "
                    + cropSize);
        }
        if (mean == null || std == null || mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std need one value per channel, got "
                    + Arrays.toString(mean) + " and " + Arrays.toString(std));
        }
        this.mean = new double[mean.length];
        this.std = new double[std.length];
        for (int c = 0; c < mean.length; c++) {
            if (!(std[c] > 0) || !Float.isFinite(mean[c]) || !Float.isFinite(std[c])) {
                throw new IllegalArgumentException("channel " + c + " has mean " + mean[c] + " and std " + std[c]
                        + "; std must be positive and both finite");
            }
            // torchvision holds the statistics as Python floats: the float literals' decimal values
            this.mean[c] = Double.parseDouble(Float.toString(mean[c]));
            this.std[c] = Double.parseDouble(Float.toString(std[c]));
        }
        this.resizeSize = resizeSize;
        this.cropSize = cropSize;
        this.antialias = antialias;
    }

    /**
     * The preset of torchvision's ImageNet weights: ImageNet statistics, no antialiasing on tensors.
     *
     * @param resizeSize the shorter side after resizing (256 for most weights, 232 for ResNet-50 V2)
     * @param cropSize the crop (224 for most)
     * @return the preprocessing
     */
    public static ImageClassificationPreprocessing imagenet(int resizeSize, int cropSize) {
        return new ImageClassificationPreprocessing(resizeSize, cropSize, imagenetMean(), imagenetStd(), false);
    }

    /** @return ImageNet's channel means, torchvision's default (a copy) */
    public static float[] imagenetMean() {
        return IMAGENET_MEAN.clone();
    }

    /** @return ImageNet's channel standard deviations, torchvision's default (a copy) */
    public static float[] imagenetStd() {
        return IMAGENET_STD.clone();
    }

    /**
     * torchvision's {@code _compute_resized_output_size} for one requested size: the shorter side
     * becomes {@code size}, the longer {@code int(size * long / short)}.
     *
     * @param height the image's height
     * @param width the image's width
     * @param size the shorter side wanted
     * @return {height, width}
     */
    public static int[] resizedSize(int height, int width, int size) {
        if (width <= height) {
            return new int[] {(int) ((double) size * height / width), size};
        }
        return new int[] {size, (int) ((double) size * width / height)};
    }

    /**
     * Applies resize, crop and normalisation.
     *
     * @param image {@code [C, H, W]} or {@code [N, C, H, W]}
     * @return {@code [C, crop, crop]} or {@code [N, C, crop, crop]}, in the image's manager
     * @throws IllegalArgumentException for another rank, an empty image, a channel count other than
     *     the statistics', or a type that is neither floating nor uint8
     */
    @Override
    public NDArray transform(NDArray image) {
        Shape s = image.getShape();
        boolean batched = s.dimension() == 4;
        if (s.dimension() != 3 && !batched) {
            throw new IllegalArgumentException("an image is [C, H, W] or [N, C, H, W], got " + s
                    + " (an HWC array from DJL's Image.toNDArray needs transpose(2, 0, 1) first)");
        }
        int channels = (int) s.get(batched ? 1 : 0);
        int h = (int) s.get(batched ? 2 : 1);
        int w = (int) s.get(batched ? 3 : 2);
        if (h == 0 || w == 0) {
            throw new IllegalArgumentException("the image " + s + " is empty");
        }
        if (channels != mean.length) {
            throw new IllegalArgumentException("the image " + s + " has " + channels + " channels; the statistics"
                    + " have " + mean.length + (s.get(s.dimension() - 1) == mean.length ? " (an HWC array, as DJL's"
                    + " Image.toNDArray gives, needs transpose(2, 0, 1) first)" : ""));
        }
        DataType t = image.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64 && t != DataType.UINT8) {
            throw new IllegalArgumentException("images are float32, float64 (values in [0, 1]) or uint8, got " + t);
        }
        try (NDManager scope = image.getManager().newSubManager()) {
            NDArray x = image;
            if (t == DataType.UINT8) {
                x = scope(image.toType(DataType.FLOAT32, true), scope).div(scalar(scope, 255, DataType.FLOAT32));
            }
            DataType type = x.getDataType();
            int[] size = resizedSize(h, w, resizeSize);
            NDArray resized;
            if (antialias) {
                NDArray wh = antialiasWeights(scope, h, size[0], type);
                NDArray ww = antialiasWeights(scope, w, size[1], type);
                // rows then columns: [.., H, W] -> [.., H', W] -> [.., H', W']
                resized = wh.matMul(x).matMul(ww.transpose());
            } else {
                resized = scope(BilinearResize.resize(x, size[0], size[1]), scope);
            }
            NDArray cropped = crop(resized, scope, size[0], size[1]);
            long[] statShape = batched ? new long[] {1, channels, 1, 1} : new long[] {channels, 1, 1};
            NDArray m = scope.create(mean).toType(type, false).reshape(statShape);
            NDArray sd = scope.create(std).toType(type, false).reshape(statShape);
            NDArray out = cropped.sub(m).div(sd);
            out.attach(image.getManager());
            return out;
        }
    }

    /**
     * Applies the preset to a DJL image (read as RGB, {@code [H, W, 3]} uint8, then channels first).
     *
     * @param image the picture (not modified)
     * @param manager owns the result
     * @return {@code [3, crop, crop]} float32
     */
    public NDArray transform(Image image, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray chw = image.toNDArray(scope, Image.Flag.COLOR).transpose(2, 0, 1);
            NDArray out = transform(chw);
            out.attach(manager);
            return out;
        }
    }

    private NDArray crop(NDArray x, NDManager scope, int h, int w) {
        int c = cropSize;
        NDArray img = x;
        if (c > h || c > w) {
            int top = c > h ? (c - h) / 2 : 0;
            int bottom = c > h ? (c - h + 1) / 2 : 0;
            int left = c > w ? (c - w) / 2 : 0;
            int right = c > w ? (c - w + 1) / 2 : 0;
            Shape s = img.getShape();
            int rank = s.dimension();
            long[] full = s.getShape().clone();
            full[rank - 2] = h + top + bottom;
            full[rank - 1] = w + left + right;
            NDArray padded = scope.zeros(new Shape(full), img.getDataType());
            padded.set(new NDIndex("..., " + top + ":" + (top + h) + ", " + left + ":" + (left + w)), img);
            img = padded;
            h = (int) full[rank - 2];
            w = (int) full[rank - 1];
        }
        int top = (int) Math.rint((h - c) / 2.0);  // Python's round: half to even
        int left = (int) Math.rint((w - c) / 2.0);
        return img.get(new NDIndex("..., " + top + ":" + (top + c) + ", " + left + ":" + (left + c)));
    }

    /**
     * The [out, in] interpolation matrix of torch's antialiased bilinear resize along one axis
     * ({@code _upsample_bilinear2d_aa}): the triangle filter widened by the downscale factor and
     * normalised.
     */
    private static NDArray antialiasWeights(NDManager scope, int in, int out, DataType type) {
        if ((long) in * out > MAX_WEIGHTS) {
            throw new IllegalArgumentException("resizing a side of " + in + " pixels to " + out + " with antialiasing"
                    + " is beyond this preprocessing's dense filter (at most " + MAX_WEIGHTS + " weights per axis);"
                    + " shrink the image first");
        }
        double scale = (double) in / out;
        double support = scale >= 1 ? scale : 1.0;
        double invScale = scale >= 1 ? 1 / scale : 1.0;
        double[] m = new double[out * in];
        for (int i = 0; i < out; i++) {
            double centre = scale * (i + 0.5);
            int xmin = Math.max((int) (centre - support + 0.5), 0);
            int xmax = Math.min((int) (centre + support + 0.5), in);
            double total = 0;
            for (int j = xmin; j < xmax; j++) {
                double v = Math.max(1 - Math.abs((j - centre + 0.5) * invScale), 0);
                m[i * in + j] = v;
                total += v;
            }
            if (total > 0) {
                for (int j = xmin; j < xmax; j++) {
                    m[i * in + j] /= total;
                }
            }
        }
        return scope.create(m, new Shape(out, in)).toType(type, false);
    }

    private static NDArray scalar(NDManager scope, double v, DataType type) {
        return scope.create(v).toType(type, false);
    }

    private static NDArray scope(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /** @return e.g. {@code ImageClassification(resize 256, crop 224, antialias false)} */
    @Override
    public String toString() {
        return "ImageClassification(resize " + resizeSize + ", crop " + cropSize + ", antialias " + antialias + ")";
    }
}
