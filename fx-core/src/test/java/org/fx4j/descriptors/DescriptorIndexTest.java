package org.fx4j.descriptors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exact cosine index: order of results, near-duplicate pairs, bad input, the file. */
class DescriptorIndexTest {

    @Test
    void searchRanksByCosineWithTiesInInsertionOrder() {
        DescriptorIndex index = new DescriptorIndex(3);
        index.add("x", new float[] {1, 0, 0});
        index.add("y", new float[] {0, 2, 0});           // normalised on add: the length does not matter
        index.add("xy", new float[] {1, 1, 0});
        index.add("x-again", new float[] {5, 0, 0});
        index.add("minus-x", new float[] {-1, 0, 0});
        float[] query = {3, 1, 0};
        float[] copy = query.clone();
        List<DescriptorIndex.Hit> hits = index.search(query, 10);
        assertArrayEquals(copy, query, "the query is not modified");
        assertEquals(List.of("x", "x-again", "xy", "y", "minus-x"), hits.stream().map(DescriptorIndex.Hit::id).toList());
        assertEquals(3 / Math.sqrt(10), hits.get(0).score(), 1e-7);
        assertEquals(4 / Math.sqrt(20), hits.get(2).score(), 1e-7);
        assertEquals(-3 / Math.sqrt(10), hits.get(4).score(), 1e-7);
        assertEquals(2, index.search(query, 2).size());
    }

    @Test
    void searchAgreesWithBruteForceOnRandomVectors() {
        Random r = new Random(7);
        DescriptorIndex index = new DescriptorIndex(16);
        float[][] v = new float[200][16];
        for (int i = 0; i < v.length; i++) {
            for (int d = 0; d < 16; d++) {
                v[i][d] = (float) r.nextGaussian();
            }
            index.add("e" + i, v[i]);
        }
        float[] q = v[42].clone();
        q[0] += 0.01f;
        double best = -2;
        int arg = -1;
        for (int i = 0; i < v.length; i++) {
            double s = cos(q, v[i]);
            if (s > best) {
                best = s;
                arg = i;
            }
        }
        DescriptorIndex.Hit top = index.search(q, 1).get(0);
        assertEquals("e" + arg, top.id());
        assertEquals("e42", top.id());
        assertEquals(best, top.score(), 1e-6);
    }

    private static double cos(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += a[i] * b[i];
            aa += a[i] * a[i];
            bb += b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void pairsAboveAThresholdBestFirst() {
        DescriptorIndex index = new DescriptorIndex(2);
        index.add("a", new float[] {1, 0});
        index.add("b", new float[] {0, 1});
        index.add("a-copy", new float[] {1, 0.05f});
        index.add("b-copy", new float[] {0.2f, 1});
        List<DescriptorIndex.Pair> pairs = index.pairs(0.95);
        assertEquals(2, pairs.size());
        assertEquals(new DescriptorIndex.Pair("a", "a-copy", pairs.get(0).score()), pairs.get(0));
        assertEquals("b", pairs.get(1).first());
        assertEquals("b-copy", pairs.get(1).second());
        assertTrue(pairs.get(0).score() > pairs.get(1).score());
        assertEquals(6, index.pairs(-1).size());
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        DescriptorIndex index = new DescriptorIndex(3);
        index.add("a", new float[] {1, 2, 3});
        assertMessage(() -> index.add("a", new float[] {1, 0, 0}), "'a' is already in the index");
        assertMessage(() -> index.add("b", new float[] {1, 0}),
                "descriptor of 'b' has 2 values; the index holds descriptors of dimension 3");
        assertMessage(() -> index.add("c", new float[] {1, Float.NaN, 0}), "descriptor of 'c' has a non-finite value");
        assertMessage(() -> index.add("d", new float[3]), "descriptor of 'd' is the zero vector");
        assertMessage(() -> index.search(new float[] {1, 0, 0}, 0), "k must be at least 1, got 0");
        assertMessage(() -> index.search(new float[4], 3), "query has 4 values");
        assertMessage(() -> index.pairs(1.5), "a cosine threshold lies in [-1, 1], got 1.5");
        assertEquals(1, index.size(), "failed adds leave nothing behind");
    }

    private static void assertMessage(Runnable r, String expected) {
        String message = assertThrows(IllegalArgumentException.class, r::run).getMessage();
        assertTrue(message.contains(expected), message);
    }

    @Test
    void savesAndLoadsTheSameIndex(@TempDir Path dir) throws IOException {
        Random r = new Random(3);
        DescriptorIndex index = new DescriptorIndex(8);
        for (int i = 0; i < 30; i++) {
            float[] v = new float[8];
            for (int d = 0; d < 8; d++) {
                v[d] = (float) r.nextGaussian();
            }
            index.add("images/pic " + i + " é.png", v);
        }
        index.putSetting("node", "layer3");
        index.putSetting("model", "resnet50");
        Path file = dir.resolve("sub/index.fx4j");
        index.save(file);
        DescriptorIndex back = DescriptorIndex.load(file);
        assertEquals(index.ids(), back.ids());
        assertEquals(8, back.dimension());
        assertEquals(Map.of("model", "resnet50", "node", "layer3"), back.settings());
        assertEquals(List.of("model", "node"), List.copyOf(back.settings().keySet()), "sorted by key");
        float[] q = {1, 2, 3, 4, 5, 6, 7, 8};
        assertEquals(index.search(q, 30), back.search(q, 30), "identical scores after the round trip");
        try (var files = Files.list(dir.resolve("sub"))) {
            assertEquals(List.of("index.fx4j"), files.map(p -> p.getFileName().toString()).toList(),
                    "no temporary file left");
        }
    }

    @Test
    void stampsRemovalAndSettingsSurviveTheRoundTrip(@TempDir Path dir) throws IOException {
        DescriptorIndex index = new DescriptorIndex(2);
        index.add("a", new float[] {1, 0}, "100:7");
        index.add("b", new float[] {0, 1});
        index.add("c", new float[] {1, 1}, "3:4");
        index.putSetting("whiten", "2");
        assertTrue(index.remove("a"));
        assertFalse(index.remove("a"));
        assertEquals("2", index.removeSetting("whiten"));
        index.add("a", new float[] {1, 0.1f}, "101:8"); // described again, now last
        Path file = dir.resolve("i.idx");
        index.save(file);
        DescriptorIndex back = DescriptorIndex.load(file);
        assertEquals(List.of("b", "c", "a"), back.ids());
        assertEquals("", back.stamp("b"));
        assertEquals("3:4", back.stamp("c"));
        assertEquals("101:8", back.stamp("a"));
        assertEquals(Map.of(), back.settings());
        assertEquals("a", back.search(new float[] {1, 0}, 1).get(0).id(), "positions follow the removal");
        assertEquals("c", back.search(new float[] {1, 1}, 1).get(0).id());
        assertArrayEquals(new float[] {0, 1}, back.descriptor(0));
        assertThrows(IllegalArgumentException.class, () -> back.stamp("zz"));
        String missing = assertThrows(IOException.class, () -> DescriptorIndex.load(dir.resolve("none.idx")))
                .getMessage();
        assertEquals(dir.resolve("none.idx") + " does not exist", missing);
    }

    @Test
    void damagedFilesNameTheProblem(@TempDir Path dir) throws IOException {
        DescriptorIndex index = new DescriptorIndex(4);
        index.add("a", new float[] {1, 2, 3, 4});
        index.add("b", new float[] {4, 3, 2, 1});
        Path file = dir.resolve("i.bin");
        index.save(file);
        byte[] bytes = Files.readAllBytes(file);

        Path cut = dir.resolve("cut.bin");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 3));
        assertTrue(assertThrows(IOException.class, () -> DescriptorIndex.load(cut)).getMessage()
                .contains("is truncated"));
        Path extra = dir.resolve("extra.bin");
        Files.write(extra, Arrays.copyOf(bytes, bytes.length + 2));
        assertTrue(assertThrows(IOException.class, () -> DescriptorIndex.load(extra)).getMessage()
                .contains("has bytes after its content"));
        Path other = dir.resolve("other.bin");
        Files.writeString(other, "not an index at all");
        assertTrue(assertThrows(IOException.class, () -> DescriptorIndex.load(other)).getMessage()
                .contains("is not an fx4j descriptor index"));
        Path huge = dir.resolve("huge.bin");
        byte[] h = bytes.clone();
        int settingsAt = 2 + "FX4J-DESCRIPTOR-INDEX".length() + 8; // UTF length, magic, version, dimension
        h[settingsAt + 4] = 0x7f; // the entry count, after the (zero) settings count
        Files.write(huge, h);
        assertTrue(assertThrows(IOException.class, () -> DescriptorIndex.load(huge)).getMessage()
                .contains("more than its"));
        byte[] s = bytes.clone();
        s[settingsAt] = 0x7f;
        Files.write(huge, s);
        assertTrue(assertThrows(IOException.class, () -> DescriptorIndex.load(huge)).getMessage()
                .contains("settings (at most 256)"));
    }
}
