package org.fx4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shapes set: deterministic per seed, exact masks (every mask pixel has its shape's colour, the
 * visible masks are disjoint), the written COCO file reads back with the same masks and boxes.
 */
class ShapesGeneratorTest {

    @TempDir
    Path dir;

    @Test
    void sameSeedSameSetOtherSeedOtherSet() throws IOException {
        new ShapesGenerator(64, 3).write(6, dir.resolve("a"));
        new ShapesGenerator(64, 3).write(6, dir.resolve("b"));
        new ShapesGenerator(64, 4).write(6, dir.resolve("c"));
        assertEquals(Files.readString(dir.resolve("a/annotations.json")), Files.readString(dir.resolve("b/annotations.json")));
        for (int i = 0; i < 6; i++) {
            String name = String.format("images/%06d.png", i);
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(name)),
                    Files.readAllBytes(dir.resolve("b").resolve(name)));
        }
        assertNotEquals(Files.readString(dir.resolve("a/annotations.json")),
                Files.readString(dir.resolve("c/annotations.json")));
    }

    @Test
    void noShapeIsHiddenMoreThanTheBound() {
        ShapesGenerator gen = new ShapesGenerator(96, 5);
        int occluded = 0;
        for (int i = 0; i < 300; i++) {
            ShapesGenerator.Sample s = gen.generate(i);
            for (int k = 0; k < s.masks().size(); k++) {
                long visible = s.masks().get(k).area();
                int full = s.fullAreas().get(k);
                assertTrue(visible <= full);
                assertTrue(visible * 100 >= (long) full * 60, // the documented bound: at most 40 % hidden
                        "image " + i + " shape " + k + ": " + visible + " of " + full + " pixels visible");
                occluded += visible < full ? 1 : 0;
            }
        }
        assertTrue(occluded > 20, "the set overlaps shapes: " + occluded + " partly hidden");
    }

    @Test
    void masksAreExactDisjointAndReadBack() throws IOException {
        ShapesGenerator gen = new ShapesGenerator(96, 11);
        int written = gen.write(20, dir);
        CocoDataset ds = CocoDataset.open(dir);
        assertEquals(20, ds.images().size());
        assertEquals(java.util.List.of("circle", "square", "triangle"),
                ds.categories().stream().map(CocoDataset.Category::name).toList());
        int total = 0;
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            ShapesGenerator.Sample s = gen.generate(i);
            CocoDataset.Image img = ds.images().get(i);
            java.util.List<CocoDataset.Annotation> anns = ds.annotations(img.id());
            assertEquals(s.masks().size(), anns.size());
            assertTrue(anns.size() >= 1 && anns.size() <= 5);
            int[] rgb = s.picture().getRGB(0, 0, 96, 96, null, 0, 96);
            boolean[] used = new boolean[96 * 96];
            for (int k = 0; k < anns.size(); k++) {
                CocoDataset.Annotation a = anns.get(k);
                assertEquals(s.masks().get(k), a.mask(), "the file's mask is the generator's");
                boolean[] m = a.mask().decode();
                int x0 = 96;
                int y0 = 96;
                int x1 = -1;
                int y1 = -1;
                int count = 0;
                for (int p = 0; p < m.length; p++) {
                    if (m[p]) {
                        x0 = Math.min(x0, p % 96);
                        x1 = Math.max(x1, p % 96);
                        y0 = Math.min(y0, p / 96);
                        y1 = Math.max(y1, p / 96);
                        count++;
                    }
                }
                assertArrayEquals(new double[] {x0, y0, x1 - x0 + 1, y1 - y0 + 1}, a.bbox(), "bbox: the mask's extent");
                assertEquals(count, a.area(), "area: the mask's pixels");
                assertTrue(a.area() >= 16);
                seen.add((int) a.categoryId());
                Integer colour = null;
                for (int p = 0; p < m.length; p++) {
                    if (m[p]) {
                        assertTrue(!used[p], "visible masks are disjoint");
                        used[p] = true;
                        colour = colour == null ? rgb[p] : colour;
                        assertEquals(colour.intValue(), rgb[p], "a mask pixel has its shape's colour");
                    }
                }
            }
            total += anns.size();
        }
        assertEquals(written, total);
        assertEquals(Set.of(1, 2, 3), seen);
    }
}
