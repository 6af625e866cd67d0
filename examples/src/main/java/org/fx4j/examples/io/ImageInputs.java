package org.fx4j.examples.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.fx4j.io.InputFiles;
import org.fx4j.io.Npy;

/**
 * Turns the CLI's {@code --input} into a model input: a PNG/JPEG resized to {@code size x size} and
 * normalised with ImageNet's mean and std, or a {@code .npy} float32 NCHW tensor used as is.
 */
public final class ImageInputs {

    /** ImageNet channel means (RGB). */
    static final float[] MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet channel standard deviations (RGB). */
    static final float[] STD = {0.229f, 0.224f, 0.225f};

    /** The bundled sample picture's resource path. */
    public static final String SAMPLE = "/org/fx4j/examples/sample.png";

    private ImageInputs() {}

    /**
     * Loads an input batch of one.
     *
     * @param file a PNG/JPEG or {@code .npy} file, or null for the bundled sample picture
     * @param size the side images are resized to
     * @param manager the manager that will own the array
     * @return a [1, 3, H, W] float32 array (for .npy: the file's [N, 3, H, W] tensor)
     * @throws IOException with one clear line if the input cannot be used
     */
    public static NDArray load(Path file, int size, NDManager manager) throws IOException {
        if (size < 32 || size > 4096) {
            throw new IllegalArgumentException("--size must be between 32 and 4096, got " + size);
        }
        if (file == null) {
            try (InputStream in = ImageInputs.class.getResourceAsStream(SAMPLE)) {
                if (in == null) {
                    throw new IOException("the bundled sample picture " + SAMPLE + " is missing from the class path");
                }
                return toArray(ImageIO.read(in), size, manager);
            }
        }
        try {
            InputFiles.requireRegularFile(file);
        } catch (IOException e) {
            throw new IOException(e.getMessage().replaceFirst("^Cannot read '", "cannot read input '"), e);
        }
        boolean npy;
        try (InputStream in = Files.newInputStream(file)) {
            npy = Npy.hasMagic(in);
        }
        if (npy || file.toString().endsWith(".npy")) {
            NDArray x = asFloat32(Npy.read(file, manager, true), file);
            Shape s = x.getShape();
            if (s.dimension() != 4 || s.get(1) != 3) {
                x.close();
                throw new IllegalArgumentException(
                        "input '" + file + "' has shape " + s + "; expected a float32 NCHW tensor with 3 channels,"
                                + " e.g. (1, 3, 224, 224)");
            }
            return x;
        }
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read image '" + file + "': " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException("cannot read image '" + file + "': not a PNG or JPEG image (nor a .npy tensor)");
        }
        return toArray(image, size, manager);
    }

    /**
     * Converts an input tensor to float32 where that is exact (float16, int8, uint8, bool, and
     * float64 or int32/int64 whose values float32 holds exactly); refuses it, naming the type,
     * otherwise. The argument is closed when converted or refused.
     *
     * @param x the tensor read from {@code file}
     * @param file the file, for messages
     * @return a float32 tensor with the same values
     * @throws IllegalArgumentException naming the file, its type and a value float32 cannot hold
     */
    public static NDArray asFloat32(NDArray x, Path file) {
        DataType type = x.getDataType();
        if (type == DataType.FLOAT32) {
            return x;
        }
        NDManager owner = x.getManager();
        try (NDManager scope = owner.newSubManager()) {
            x.tempAttach(scope); // every intermediate below is made in (and closed with) the scope
            NDArray f = x.toType(DataType.FLOAT32, false);
            NDArray back = f.toType(type, false);
            NDArray differs = type.isFloating() ? back.neq(x).logicalAnd(x.isNaN().logicalNot()) : back.neq(x);
            if (differs.any().getBoolean()) {
                long index = differs.flatten().toType(DataType.INT32, false).argMax().getLong();
                NDArray one = x.flatten().get(index);
                String example = type.isFloating() ? Double.toString(one.toType(DataType.FLOAT64, false).getDouble())
                        : Long.toString(one.toType(DataType.INT64, false).getLong());
                throw new IllegalArgumentException("input '" + file + "' holds " + type.name().toLowerCase(Locale.ROOT)
                        + " values that float32 cannot hold exactly (e.g. " + example + " at flat index " + index
                        + "); the models take float32, so convert it yourself if the rounding is acceptable"
                        + " (numpy: x.astype(np.float32))");
            }
            f.attach(owner);
            return f;
        } finally {
            x.close();
        }
    }

    /**
     * Counts the NaN and infinite values of a floating-point tensor.
     *
     * @param x the tensor
     * @return {NaN count, infinite count}
     */
    public static long[] countNonFinite(NDArray x) {
        if (!x.getDataType().isFloating()) {
            return new long[2];
        }
        try (NDManager scope = x.getManager().newSubManager()) {
            x.tempAttach(scope); // the masks and sums below are made in (and closed with) the scope
            long nan = x.isNaN().toType(DataType.INT64, false).sum().getLong();
            long inf = x.isInfinite().toType(DataType.INT64, false).sum().getLong();
            return new long[] {nan, inf};
        }
    }

    /**
     * Resizes (bilinear) and normalises an image into a [1, 3, size, size] array.
     *
     * @param image the image
     * @param size the output side
     * @param manager the manager that will own the array
     * @return the array
     */
    public static NDArray toArray(BufferedImage image, int size, NDManager manager) {
        BufferedImage resized = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = resized.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, size, size, null);
        g.dispose();
        float[] data = new float[3 * size * size];
        int plane = size * size;
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = resized.getRGB(x, y);
                int i = y * size + x;
                data[i] = (((rgb >> 16) & 0xff) / 255f - MEAN[0]) / STD[0];
                data[plane + i] = (((rgb >> 8) & 0xff) / 255f - MEAN[1]) / STD[1];
                data[2 * plane + i] = ((rgb & 0xff) / 255f - MEAN[2]) / STD[2];
            }
        }
        return manager.create(data, new Shape(1, 3, size, size));
    }
}
