package org.fx4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading COCO instances files: every segmentation form, crowd flags, categories mapped to contiguous
 * labels, training samples (crowd dropped, boxes converted and clipped) and errors that name the
 * annotation.
 */
class CocoDatasetTest {

    @TempDir
    Path dir;

    private static final String FILE = """
            {"images": [{"id": 7, "file_name": "a.png", "height": 6, "width": 8},
                        {"id": 9, "file_name": "b.png", "height": 6, "width": 8}],
             "categories": [{"id": 90, "name": "apple"}, {"id": 3, "name": "zebra"}, {"id": 18, "name": "dog"}],
             "annotations": [
               {"id": 1, "image_id": 7, "category_id": 3, "bbox": [2, 1, 4, 3], "area": 12, "iscrowd": 0,
                "segmentation": [[2, 1, 6, 1, 6, 4, 2, 4]]},
               {"id": 2, "image_id": 7, "category_id": 90, "bbox": [0, 0, 2, 2], "area": 3, "iscrowd": 1,
                "segmentation": {"size": [6, 8], "counts": [0, 2, 4, 1, 41]}},
               {"id": 3, "image_id": 7, "category_id": 18, "bbox": [5, 3, 10, 10], "area": 9, "iscrowd": 0,
                "segmentation": {"size": [6, 8], "counts": "%s"}},
               {"id": 4, "image_id": 9, "category_id": 3, "bbox": [9, 1, 2, 2], "area": 4, "iscrowd": 0,
                "segmentation": [[0, 0, 1, 0, 1, 1]]}
             ]}
            """;

    private Path write(String json) throws IOException {
        Path f = dir.resolve("annotations.json");
        Files.writeString(f, json);
        return f;
    }

    private static String blockString() {
        // a 3 x 3 block at x 5..7, y 3..5 of a 6 x 8 image
        return MaskRle.encode((y, x) -> x >= 5 && y >= 3, 6, 8).toCompressedString();
    }

    @Test
    void readsPolygonsBothRleFormsCrowdAndCategories() throws IOException {
        CocoDataset ds = CocoDataset.read(write(FILE.formatted(blockString())), dir);
        assertEquals(List.of(3L, 18L, 90L), ds.categories().stream().map(CocoDataset.Category::id).toList(),
                "categories sorted by id");
        assertEquals(1, ds.label(3));
        assertEquals(2, ds.label(18));
        assertEquals(3, ds.label(90));
        assertEquals("apple", ds.category(3).name()); // by id, not by name
        assertEquals("zebra", ds.category(1).name());
        assertEquals(4, ds.numClasses());
        List<CocoDataset.Annotation> a = ds.annotations(7);
        assertEquals(3, a.size());
        assertEquals(12, a.get(0).mask().area(), "polygon");
        assertArrayEquals(new double[] {2, 1, 4, 3}, a.get(0).mask().bbox());
        assertTrue(a.get(1).crowd());
        assertArrayEquals(new boolean[] {true, true, false, false, false, false, false, false}, java.util.Arrays
                .copyOf(a.get(1).mask().decode(), 8), "uncompressed RLE, column-major: pixels (y, x) = (0, 0), (1, 0),"
                + " then (0, 1)");
        assertTrue(a.get(1).mask().decode()[8]);
        assertFalse(a.get(1).mask().decode()[9]);
        assertEquals(9, a.get(2).mask().area(), "compressed RLE");
        assertEquals(3.0, a.get(1).area(), "the file's area is kept");
    }

    @Test
    void samplesDropCrowdAndClipBoxes() throws IOException {
        CocoDataset ds = CocoDataset.read(write(FILE.formatted(blockString())), dir);
        ImageIO.write(new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("a.png").toFile());
        ImageIO.write(new BufferedImage(8, 6, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("b.png").toFile());
        try (NDManager m = NDManager.newBaseManager()) {
            CocoSamples.Sample s = CocoSamples.load(ds, 0, m, false);
            assertArrayEquals(new long[] {3, 6, 8}, s.image().getShape().getShape());
            assertArrayEquals(new float[] {2, 1, 6, 4, 5, 3, 8, 6}, s.target().boxes().toFloatArray(),
                    "crowd dropped, [x, y, w, h] -> [x1, y1, x2, y2], clipped to the image");
            assertArrayEquals(new long[] {1, 2}, s.target().labels().toLongArray());
            assertEquals(12 + 9, s.target().masks().sum().getLong());
            CocoSamples.Sample empty = CocoSamples.load(ds, 1, m, false);
            assertEquals(0, empty.target().boxes().getShape().get(0), "a box outside the image is dropped");
            assertEquals(0, empty.target().masks().getShape().get(0));
            CocoSamples.Sample flipped = CocoSamples.load(ds, 0, m, true);
            assertArrayEquals(new float[] {2, 1, 6, 4, 0, 3, 3, 6}, flipped.target().boxes().toFloatArray());
            float[] original = s.target().masks().toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            float[] mirrored = flipped.target().masks().toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .toFloatArray();
            for (int k = 0; k < 2; k++) {
                for (int y = 0; y < 6; y++) {
                    for (int x = 0; x < 8; x++) {
                        assertEquals(original[k * 48 + y * 8 + x], mirrored[k * 48 + y * 8 + 7 - x]);
                    }
                }
            }
        }
    }

    @Test
    void errorsNameTheAnnotation() throws IOException {
        String base = FILE.formatted(blockString());
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write(base.replace("\"image_id\": 9,",
                "\"image_id\": 5,")), dir)).getMessage().contains("annotation 4 refers to image 5"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write(base.replace("\"category_id\": 90",
                "\"category_id\": 91")), dir)).getMessage().contains("annotation 2 has category 91"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write(base.replace("\"size\": [6, 8], \"counts\": [",
                "\"size\": [6, 7], \"counts\": [")), dir)).getMessage().contains("annotation 2 has an RLE of size 6x7"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write(base.replace("[0, 2, 4, 1, 41]",
                "[0, 2, 4, 1, 40]")), dir)).getMessage().contains("annotation 2 has a bad segmentation"));
        // as pycocotools: a polygon of fewer than 3 points draws nothing, a trailing odd value is ignored
        assertEquals(0, CocoDataset.read(write(base.replace("[[0, 0, 1, 0, 1, 1]]", "[[0, 0, 1]]")), dir)
                .annotations(9).get(0).mask().area());
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write(base.replace("\"iscrowd\": 1",
                "\"iscrowd\": \"x\"")), dir)).getMessage().contains("annotation 2 has a field of the wrong type"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write("{\"images\": 3}"), dir)).getMessage()
                .contains("\"images\" is missing or not a list"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.read(write("[1, 2"), dir)).getMessage()
                .contains("not valid JSON"));
        assertTrue(assertThrows(IOException.class, () -> CocoDataset.open(dir.resolve("nothing"))).getMessage()
                .contains("has no annotations.json"));
        CocoDataset ds = CocoDataset.read(write(base), dir);
        assertTrue(assertThrows(IOException.class, () -> {
            try (NDManager m = NDManager.newBaseManager()) {
                CocoSamples.load(ds, 0, m, false);
            }
        }).getMessage().contains("a.png"), "a missing image is named");
    }
}
