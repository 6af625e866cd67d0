package org.fx4j.descriptors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The approximate search against the exact one on clustered random descriptors. */
class HnswSearchTest {

    @Test
    void findsWhatTheExactSearchFinds() {
        Random r = new Random(11);
        int dim = 32;
        float[][] centres = new float[40][dim];
        for (float[] c : centres) {
            for (int d = 0; d < dim; d++) {
                c[d] = (float) r.nextGaussian();
            }
        }
        DescriptorIndex index = new DescriptorIndex(dim);
        for (int i = 0; i < 3000; i++) {
            float[] c = centres[i % centres.length];
            float[] v = new float[dim];
            for (int d = 0; d < dim; d++) {
                v[d] = c[d] + 0.6f * (float) r.nextGaussian();
            }
            index.add("img" + i, v);
        }
        HnswSearch hnsw = HnswSearch.build(index);
        assertEquals(3000, hnsw.size());
        int found = 0;
        int topOne = 0;
        int queries = 100;
        for (int q = 0; q < queries; q++) {
            float[] query = new float[dim];
            float[] c = centres[r.nextInt(centres.length)];
            for (int d = 0; d < dim; d++) {
                query[d] = c[d] + 0.6f * (float) r.nextGaussian();
            }
            List<DescriptorIndex.Hit> exact = index.search(query, 10);
            List<DescriptorIndex.Hit> approx = hnsw.search(query, 10);
            assertEquals(10, approx.size());
            Set<String> want = new HashSet<>();
            exact.forEach(h -> want.add(h.id()));
            for (int i = 0; i < approx.size(); i++) {
                DescriptorIndex.Hit h = approx.get(i);
                found += want.contains(h.id()) ? 1 : 0;
                if (i > 0) {
                    assertTrue(h.score() <= approx.get(i - 1).score(), "best first");
                }
            }
            topOne += exact.get(0).id().equals(approx.get(0).id()) ? 1 : 0;
            DescriptorIndex.Hit first = approx.get(0);
            double exactScore = index.search(query, 3000).stream().filter(h -> h.id().equals(first.id()))
                    .findFirst().orElseThrow().score();
            assertEquals(exactScore, first.score(), 0.0, "scores are the exact cosines");
        }
        double recall = found / (10.0 * queries);
        assertTrue(recall >= 0.95, "recall@10 " + recall);
        assertTrue(topOne >= 95, "top-1 agreement " + topOne + " of " + queries);
    }

    @Test
    void refusesAnEmptyIndexAndBadQueries() {
        DescriptorIndex empty = new DescriptorIndex(4);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HnswSearch.build(empty)).getMessage()
                .contains("the index is empty"));
        DescriptorIndex index = new DescriptorIndex(2);
        index.add("a", new float[] {1, 0});
        index.add("b", new float[] {0, 1});
        HnswSearch s = HnswSearch.build(index);
        assertEquals("a", s.search(new float[] {2, 1}, 1).get(0).id());
        assertEquals(2, s.search(new float[] {2, 1}, 5).size());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.search(new float[3], 1)).getMessage()
                .contains("query has 3 values"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> s.search(new float[] {1, 0}, 0)).getMessage()
                .contains("k must be at least 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> HnswSearch.build(index, 1, 10, 10))
                .getMessage().contains("m >= 2"));
    }
}
