package org.fx4j.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

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

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }
}
