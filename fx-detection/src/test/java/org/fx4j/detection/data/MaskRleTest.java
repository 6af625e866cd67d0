package org.fx4j.detection.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** COCO's run-length encoding by hand: the orientation, both string forms, area, box, IoU and polygons. */
class MaskRleTest {

    @Test
    void runsAreColumnMajorStartingWithBackground() {
        // 2 x 3 mask, row-major: [1 0 1]
        //                        [1 1 0]; column-major pixels: 1 1 | 0 1 | 1 0
        float[] m = {0.9f, 0.1f, 0.7f, 0.6f, 0.8f, 0.5f};
        MaskRle rle = MaskRle.encode(m, 0, 2, 3, 0.5f);
        assertArrayEquals(new long[] {0, 2, 1, 2, 1}, rle.counts(), "a set first pixel starts with a zero-length run");
        assertArrayEquals(new boolean[] {true, false, true, true, true, false}, rle.decode());
        assertEquals(4, rle.area());
        assertArrayEquals(new long[] {6}, MaskRle.encode(new float[6], 0, 2, 3, 0.5f).counts());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskRle.of(2, 3, new long[] {2, 2}))
                .getMessage().contains("sum to 4 pixels but the size [2, 3] has 6"));
    }

    @Test
    void compressedStringsRoundTripIncludingNegativeDeltas() {
        // counts with deltas against the count two before that are negative and larger than 5 bits
        long[] counts = {3, 100, 2, 40, 5000, 7, 0, 1};
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        MaskRle rle = MaskRle.of(1, (int) total, counts);
        String s = rle.toCompressedString();
        assertEquals(rle, MaskRle.fromString(s, 1, (int) total));
        assertEquals("0150000000".length(), MaskRle.encode(eye(5), 5, 5).toCompressedString().length());
        assertEquals("0150000000", MaskRle.encode(eye(5), 5, 5).toCompressedString(), "pycocotools' encoding of eye(5)");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskRle.fromString("0~", 5, 5)).getMessage()
                .contains("outside"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskRle.fromString("05", 5, 5)).getMessage()
                .contains("sum to 5 pixels"));
    }

    private static boolean[] eye(int n) {
        boolean[] m = new boolean[n * n];
        for (int i = 0; i < n; i++) {
            m[i * n + i] = true;
        }
        return m;
    }

    @Test
    void boxAreaIntersectionAndCrowdIou() {
        boolean[] a = new boolean[6 * 8];
        boolean[] b = new boolean[6 * 8];
        for (int y = 1; y < 4; y++) {
            for (int x = 2; x < 6; x++) {
                a[y * 8 + x] = true; // 3 x 4 block at (2, 1)
            }
        }
        for (int y = 2; y < 6; y++) {
            for (int x = 4; x < 8; x++) {
                b[y * 8 + x] = true; // 4 x 4 block at (4, 2)
            }
        }
        MaskRle ra = MaskRle.encode(a, 6, 8);
        MaskRle rb = MaskRle.encode(b, 6, 8);
        assertArrayEquals(new double[] {2, 1, 4, 3}, ra.bbox());
        assertArrayEquals(new double[] {4, 2, 4, 4}, rb.bbox());
        assertEquals(4, ra.intersection(rb)); // rows 2..3, columns 4..5
        assertEquals(4.0 / (12 + 16 - 4), MaskRle.iou(ra, rb, false), 1e-15);
        assertEquals(4.0 / 12, MaskRle.iou(ra, rb, true), 1e-15, "crowd: over the detection's area");
        assertArrayEquals(new double[4], MaskRle.encode(new boolean[48], 6, 8).bbox());
        assertEquals(ra, MaskRle.union(List.of(ra, ra)));
        assertEquals(24, MaskRle.union(List.of(ra, rb)).area());
    }

    @Test
    void polygonsTakePixelsWhoseCentresAreInside() {
        // an axis-aligned square with corners on pixel boundaries covers exactly its pixels
        MaskRle sq = MaskRle.fromPolygon(new double[] {2, 1, 6, 1, 6, 4, 2, 4}, 6, 8);
        assertArrayEquals(new double[] {2, 1, 4, 3}, sq.bbox());
        assertEquals(12, sq.area());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> MaskRle.fromPolygon(new double[] {1, 2, 3, 4}, 5,
                5)).getMessage().contains("at least 3 points"));
    }
}
