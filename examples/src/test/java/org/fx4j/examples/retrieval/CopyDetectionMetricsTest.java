package org.fx4j.examples.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.descriptors.DescriptorIndex;
import org.junit.jupiter.api.Test;

/** Ranks, recall@1 and mean average precision of copy detection, on hand-made descriptors. */
class CopyDetectionMetricsTest {

    private static DescriptorIndex collection() {
        DescriptorIndex index = new DescriptorIndex(2);
        index.add("a", new float[] {1, 0});
        index.add("b", new float[] {0, 1});
        index.add("c", new float[] {1, 1});
        index.add("d", new float[] {1, 1}); // the same direction as c: a tie
        return index;
    }

    @Test
    void ranksCountTiesAgainstTheOriginal() {
        DescriptorIndex index = collection();
        assertEquals(1, CopyDetectionMetrics.rank(index, new CopyDetectionMetrics.Query("q1", new float[] {1, 0.1f}, "a")));
        // closer to a than to c or d: b comes last
        assertEquals(4, CopyDetectionMetrics.rank(index, new CopyDetectionMetrics.Query("q2", new float[] {1, 0.1f}, "b")));
        // c and d tie: each ranks 2nd, whichever was added first
        assertEquals(2, CopyDetectionMetrics.rank(index, new CopyDetectionMetrics.Query("q3", new float[] {2, 2}, "c")));
        assertEquals(2, CopyDetectionMetrics.rank(index, new CopyDetectionMetrics.Query("q4", new float[] {2, 2}, "d")));
        String message = assertThrows(IllegalArgumentException.class, () -> CopyDetectionMetrics.rank(index,
                new CopyDetectionMetrics.Query("q5.png", new float[] {1, 0}, "zz"))).getMessage();
        assertTrue(message.contains("the original of q5.png, 'zz', is not in the index"), message);
    }

    @Test
    void scoresArePerKindAndOverall() {
        DescriptorIndex index = collection();
        Map<String, List<CopyDetectionMetrics.Query>> queries = new LinkedHashMap<>();
        queries.put("crop", List.of(new CopyDetectionMetrics.Query("x", new float[] {1, 0.1f}, "a"),
                new CopyDetectionMetrics.Query("y", new float[] {1, 0.1f}, "b")));
        queries.put("jpeg", List.of(new CopyDetectionMetrics.Query("z", new float[] {2, 2}, "c")));
        Map<String, CopyDetectionMetrics.Score> s = CopyDetectionMetrics.score(index, queries);
        assertEquals(List.of("crop", "jpeg", "all"), List.copyOf(s.keySet()));
        assertEquals(new CopyDetectionMetrics.Score(2, 0.5, (1 + 0.25) / 2), s.get("crop"));
        assertEquals(new CopyDetectionMetrics.Score(1, 0.0, 0.5), s.get("jpeg"));
        assertEquals(3, s.get("all").queries());
        assertEquals(1.0 / 3, s.get("all").recallAt1(), 1e-15);
        assertEquals((1 + 0.25 + 0.5) / 3, s.get("all").meanAveragePrecision(), 1e-15);
    }
}
