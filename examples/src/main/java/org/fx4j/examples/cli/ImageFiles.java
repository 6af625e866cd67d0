package org.fx4j.examples.cli;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** The image files under a directory, as {@code fx index} finds them. */
final class ImageFiles {

    /** The extensions read (any case): what Java's ImageIO decodes. */
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    private ImageFiles() {}

    /**
     * Lists the regular files with an image extension under a directory, recursively, sorted by
     * their path relative to it (so that runs and resumed runs see the same order).
     *
     * @param dir the directory
     * @return relative paths
     * @throws IOException if the directory cannot be walked
     */
    static List<Path> under(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).filter(ImageFiles::isImage).map(dir::relativize)
                    .sorted((a, b) -> a.toString().compareTo(b.toString())).toList();
        }
    }

    /**
     * Decodes an image file, refusing what ImageIO only warns about (a truncated JPEG decodes with
     * its missing part grey; PIL refuses it).
     *
     * @param file the file
     * @return the picture as a DJL image
     * @throws IOException naming the file and the reason when it cannot be read whole
     */
    static Image read(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException(file + " cannot be opened");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new IOException(file + " is not an image Java reads (PNG, JPEG, BMP, GIF)");
            }
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new IOException(file + ": " + String.join("; ", warnings) + " (damaged or truncated)");
                }
                return ImageFactory.getInstance().fromImage(image);
            } catch (RuntimeException e) {
                throw new IOException(file + " cannot be decoded: " + e, e);
            } finally {
                reader.dispose();
            }
        }
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
