package org.fx4j.examples.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generated collection: deterministic, distinct originals, one copy per edit named as its original. */
class CopyCollectionTest {

    @Test
    void writesOriginalsAndOneCopyPerEdit(@TempDir Path dir) throws Exception {
        CopyCollection.generate(dir.resolve("a"), 12, 4, 9);
        CopyCollection.generate(dir.resolve("b"), 12, 4, 9);
        List<Path> originals = list(dir.resolve("a/collection"));
        assertEquals(12, originals.size());
        Set<Integer> hashes = new HashSet<>();
        for (Path p : originals) {
            byte[] bytes = Files.readAllBytes(p);
            assertArrayEquals(bytes, Files.readAllBytes(dir.resolve("b/collection").resolve(p.getFileName())),
                    "same seed, same picture");
            hashes.add(Arrays.hashCode(bytes));
        }
        assertEquals(12, hashes.size(), "distinct originals");
        for (CopyEdit edit : CopyEdit.values()) {
            List<Path> copies = list(dir.resolve("a/queries").resolve(edit.dirName()));
            assertEquals(4, copies.size(), edit.name());
            for (Path c : copies) {
                String stem = c.getFileName().toString().replaceAll("\\.(png|jpg)$", "");
                assertTrue(Files.exists(dir.resolve("a/collection").resolve(stem + ".png")), "named as its original");
                assertTrue(c.toString().endsWith(edit == CopyEdit.JPEG ? ".jpg" : ".png"));
                BufferedImage copy = ImageIO.read(c.toFile());
                BufferedImage original = ImageIO.read(dir.resolve("a/collection").resolve(stem + ".png").toFile());
                if (edit == CopyEdit.CROP) {
                    assertTrue(copy.getWidth() < original.getWidth() && copy.getHeight() < original.getHeight());
                }
                if (edit != CopyEdit.CROP && edit != CopyEdit.RESCALE) {
                    assertEquals(original.getWidth(), copy.getWidth());
                    assertFalse(Arrays.equals(pixels(original), pixels(copy)), edit + " changes the pixels");
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> CopyCollection.generate(dir.resolve("a"), 12, 4, 9),
                "an existing collection is not overwritten");
        assertThrows(IllegalArgumentException.class, () -> CopyCollection.generate(dir.resolve("c"), 3, 4, 9));
    }

    @Test
    void editsLeaveTheOriginalAlone() {
        BufferedImage original = CopyCollection.draw(new Random(1));
        int[] before = pixels(original);
        for (CopyEdit edit : CopyEdit.values()) {
            edit.apply(original, new Random(2));
        }
        assertArrayEquals(before, pixels(original));
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    private static List<Path> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
