package org.fx4j.detection.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fx4j.io.InputFiles;

/**
 * Images for detection: a PNG or JPEG file to a [3, H, W] float32 array of values in [0, 1] at its
 * own size (the model resizes). Grey images are repeated to three channels (their samples as stored,
 * as torchvision's {@code read_image(..., RGB)}), an alpha channel is dropped, palette images are
 * expanded, 16-bit samples are divided by 65535 and 8-bit ones by 255.
 */
public final class DetectionImages {

    private DetectionImages() {}

    /**
     * Lists the images an argument names: the file itself, or a directory's PNG/JPEG files by name.
     *
     * @param path a file or a directory
     * @return the files
     * @throws IOException if the path cannot be read or a directory holds no image
     */
    public static List<Path> list(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            List<Path> out = new ArrayList<>();
            try (Stream<Path> s = Files.list(path)) {
                s.filter(p -> Files.isRegularFile(p) && isImageName(p)).sorted().forEach(out::add);
            }
            if (out.isEmpty()) {
                throw new IOException("no PNG or JPEG images (*.png, *.jpg, *.jpeg) in directory '" + path + "'");
            }
            return out;
        }
        try {
            InputFiles.requireRegularFile(path);
        } catch (IOException e) {
            throw new IOException(e.getMessage().replaceFirst("^Cannot read '", "cannot read image '"), e);
        }
        return List.of(path);
    }

    private static boolean isImageName(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg");
    }

    /**
     * Reads an image file.
     *
     * @param file a PNG or JPEG file
     * @return the image
     * @throws IOException naming the file if it is not a readable image
     */
    public static BufferedImage read(Path file) throws IOException {
        BufferedImage image;
        try {
            image = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read image '" + file + "': " + e.getMessage(), e);
        }
        if (image == null) {
            throw new IOException("cannot read image '" + file + "': not a PNG or JPEG image");
        }
        if (image.getWidth() == 0 || image.getHeight() == 0) {
            throw new IOException("image '" + file + "' is empty (" + image.getWidth() + "x" + image.getHeight() + ")");
        }
        return image;
    }

    /**
     * Converts an image to [3, H, W] float32 values in [0, 1].
     *
     * @param image the image
     * @param manager owns the array
     * @return the array
     */
    public static NDArray toArray(BufferedImage image, NDManager manager) {
        int w = image.getWidth();
        int h = image.getHeight();
        int plane = w * h;
        float[] data = new float[3 * plane];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        boolean direct = !(image.getColorModel() instanceof IndexColorModel) && (bits > 8 || bands <= 2) && bands <= 4;
        if (direct) {
            // Grey (Java's getRGB would gamma-convert its linear grey) and 16-bit images: the samples themselves.
            double max = (1L << bits) - 1;
            int[] px = new int[bands];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    raster.getPixel(x, y, px);
                    int i = y * w + x;
                    if (bands <= 2) {
                        float v = (float) (px[0] / max);
                        data[i] = v;
                        data[plane + i] = v;
                        data[2 * plane + i] = v;
                    } else {
                        data[i] = (float) (px[0] / max);
                        data[plane + i] = (float) (px[1] / max);
                        data[2 * plane + i] = (float) (px[2] / max);
                    }
                }
            }
        } else {
            // 8-bit and palette images through their colour model (alpha ignored).
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int rgb = image.getRGB(x, y);
                    int i = y * w + x;
                    data[i] = ((rgb >> 16) & 0xff) / 255f;
                    data[plane + i] = ((rgb >> 8) & 0xff) / 255f;
                    data[2 * plane + i] = (rgb & 0xff) / 255f;
                }
            }
        }
        return manager.create(data, new Shape(3, h, w));
    }
}
