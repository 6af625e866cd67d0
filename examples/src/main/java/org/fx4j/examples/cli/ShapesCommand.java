package org.fx4j.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fx4j.detection.data.ShapesGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fx shapes --count N --seed S [--size 256] --out DIR}: writes the synthetic shapes set as COCO
 * instances ({@code DIR/annotations.json}, {@code DIR/images/*.png}).
 */
@Command(name = "shapes", mixinStandardHelpOptions = true,
        description = "Write a synthetic instance-segmentation set (circles, squares, triangles) in COCO format.")
public final class ShapesCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--count", required = true, description = "Number of images.")
    private int count;

    @Option(names = "--seed", defaultValue = "0", description = "Seed (default ${DEFAULT-VALUE}); the same seed gives"
            + " the same set.")
    private long seed;

    @Option(names = "--size", defaultValue = "256", description = "Image side in pixels (default ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (new or empty).")
    private Path out;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (count < 1) {
            throw new ParameterException(spec.commandLine(), "--count must be at least 1, got " + count);
        }
        if (size < 32) {
            throw new ParameterException(spec.commandLine(), "--size must be at least 32, got " + size);
        }
        if (Files.exists(out) && (!Files.isDirectory(out) || hasEntries(out))) {
            throw new ParameterException(spec.commandLine(), "--out '" + out + "' exists and is not an empty"
                    + " directory; choose a new directory");
        }
        long t0 = System.nanoTime();
        int annotations = new ShapesGenerator(size, seed).write(count, out);
        spec.commandLine().getOut().printf("wrote %d images, %d annotations to %s in %.1f s%n", count, annotations, out,
                (System.nanoTime() - t0) / 1e9);
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }
}
