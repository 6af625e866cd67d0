package org.fx4j.descriptors;

import com.github.jelmerk.knn.DistanceFunctions;
import com.github.jelmerk.knn.Item;
import com.github.jelmerk.knn.SearchResult;
import com.github.jelmerk.knn.hnsw.HnswIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * Approximate nearest-neighbour search over a {@link DescriptorIndex} for large collections: a
 * hierarchical navigable small-world graph (Malkov and Yashunin; {@code com.github.jelmerk:hnswlib-core})
 * on the index's unit vectors with inner-product distance, so its neighbours are the cosine
 * neighbours. The graph is built from the index (it is not saved: {@link DescriptorIndex#save} keeps
 * the vectors, and loading a graph would mean Java deserialisation of a file). Returned scores are
 * the exact cosines of the entries found, as {@link DescriptorIndex#search} gives them.
 */
public final class HnswSearch {

    /** Links per node (hnswlib's M). */
    public static final int DEFAULT_M = 16;
    /** Candidate list size while building. */
    public static final int DEFAULT_EF_CONSTRUCTION = 200;
    /** Candidate list size while searching (hnswlib uses k when k is larger). */
    public static final int DEFAULT_EF = 100;

    private final DescriptorIndex index;
    private final HnswIndex<Integer, float[], Entry, Float> graph;

    /** One entry of the graph: its position in the index and its unit vector. */
    private record Entry(Integer id, float[] vector) implements Item<Integer, float[]> {
        @Override
        public int dimensions() {
            return vector.length;
        }
    }

    private HnswSearch(DescriptorIndex index, HnswIndex<Integer, float[], Entry, Float> graph) {
        this.index = index;
        this.graph = graph;
    }

    /**
     * Builds the graph with the default parameters (M 16, efConstruction 200, ef 100).
     *
     * @param index the descriptors (later additions to it are not seen: build again)
     * @return the search
     */
    public static HnswSearch build(DescriptorIndex index) {
        return build(index, DEFAULT_M, DEFAULT_EF_CONSTRUCTION, DEFAULT_EF);
    }

    /**
     * Builds the graph.
     *
     * @param index the descriptors
     * @param m links per node (more: better recall, more memory)
     * @param efConstruction the candidate list while building
     * @param ef the candidate list while searching
     * @return the search
     * @throws IllegalArgumentException for an empty index or parameters below 1 (m below 2)
     */
    public static HnswSearch build(DescriptorIndex index, int m, int efConstruction, int ef) {
        if (index.size() == 0) {
            throw new IllegalArgumentException("the index is empty: add descriptors before building a graph");
        }
        if (m < 2 || efConstruction < 1 || ef < 1) {
            throw new IllegalArgumentException("HNSW needs m >= 2, efConstruction >= 1 and ef >= 1; got m " + m
                    + ", efConstruction " + efConstruction + ", ef " + ef);
        }
        HnswIndex<Integer, float[], Entry, Float> graph = HnswIndex
                .newBuilder(index.dimension(), DistanceFunctions.FLOAT_INNER_PRODUCT, index.size())
                .withM(m).withEfConstruction(efConstruction).withEf(ef).build();
        for (int i = 0; i < index.size(); i++) {
            graph.add(new Entry(i, index.unitVector(i)));
        }
        return new HnswSearch(index, graph);
    }

    /** @return the number of entries in the graph */
    public int size() {
        return graph.size();
    }

    /**
     * The (approximately) {@code k} most similar entries.
     *
     * @param query a descriptor of the index's dimension (normalised here, not modified)
     * @param k how many results at most
     * @return the results, best first, with exact cosine scores
     * @throws IllegalArgumentException for a bad query or k below 1
     */
    public List<DescriptorIndex.Hit> search(float[] query, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, got " + k);
        }
        float[] q = index.normalizedQuery(query);
        // hnswlib searches with max(ef, k) candidates
        List<SearchResult<Entry, Float>> found = graph.findNearest(q, k);
        // insertion order first, so that the stable sort below breaks score ties as the exact index does
        int[] positions = found.stream().mapToInt(r -> r.item().id()).sorted().toArray();
        List<DescriptorIndex.Hit> hits = new ArrayList<>();
        for (int p : positions) {
            hits.add(new DescriptorIndex.Hit(index.ids().get(p), DescriptorIndex.cosine(q, index.unitVector(p))));
        }
        hits.sort((a, b) -> Double.compare(b.score(), a.score())); // stable: ties in insertion order
        return hits;
    }
}
