package org.fx4j.examples.retrieval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.descriptors.DescriptorIndex;

/**
 * Scores copy detection: each edited copy searches the collection of originals; its original's rank
 * (1 = most similar; ties counted against it) gives recall@1 (rank 1) and average precision, which
 * with one relevant image per query is 1 / rank. Reported per edit kind and over all queries.
 */
public final class CopyDetectionMetrics {

    /** One query: an edited copy, its descriptor, and the identifier of its original in the index. */
    public record Query(String file, float[] descriptor, String original) {}

    /** The scores of one kind of edit (or of all): how many queries, recall@1, mean average precision. */
    public record Score(int queries, double recallAt1, double meanAveragePrecision) {}

    private CopyDetectionMetrics() {}

    /**
     * The rank of a query's original among the collection.
     *
     * @param collection the originals
     * @param query the query
     * @return 1 when the original scores highest; entries scoring the same as the original count before it
     * @throws IllegalArgumentException if the original is not in the collection
     */
    public static int rank(DescriptorIndex collection, Query query) {
        List<DescriptorIndex.Hit> all = collection.search(query.descriptor(), collection.size());
        double own = Double.NaN;
        for (DescriptorIndex.Hit h : all) {
            if (h.id().equals(query.original())) {
                own = h.score();
            }
        }
        if (Double.isNaN(own)) {
            throw new IllegalArgumentException("the original of " + query.file() + ", '" + query.original()
                    + "', is not in the index");
        }
        int rank = 1;
        for (DescriptorIndex.Hit h : all) {
            if (!h.id().equals(query.original()) && h.score() >= own) {
                rank++;
            }
        }
        return rank;
    }

    /**
     * Scores queries grouped by kind.
     *
     * @param collection the originals
     * @param queries queries by kind, in the order to report
     * @return scores per kind, then {@code "all"}
     */
    public static Map<String, Score> score(DescriptorIndex collection, Map<String, List<Query>> queries) {
        Map<String, Score> out = new LinkedHashMap<>();
        List<Integer> allRanks = new ArrayList<>();
        for (Map.Entry<String, List<Query>> e : queries.entrySet()) {
            List<Integer> ranks = new ArrayList<>();
            for (Query q : e.getValue()) {
                ranks.add(rank(collection, q));
            }
            out.put(e.getKey(), of(ranks));
            allRanks.addAll(ranks);
        }
        out.put("all", of(allRanks));
        return out;
    }

    /**
     * Scores a list of ranks.
     *
     * @param ranks the originals' ranks
     * @return recall@1 and mean reciprocal rank (= mAP with one relevant image per query); zeros when empty
     */
    public static Score of(List<Integer> ranks) {
        int top = 0;
        double ap = 0;
        for (int r : ranks) {
            top += r == 1 ? 1 : 0;
            ap += 1.0 / r;
        }
        int n = ranks.size();
        return new Score(n, n == 0 ? 0 : (double) top / n, n == 0 ? 0 : ap / n);
    }
}
