package org.fx4j.features;

import java.util.List;

/**
 * The qualified node names of a model's training-mode and evaluation-mode graphs, as returned by
 * torchvision's {@code get_graph_node_names}.
 */
public final class GraphNodeNames {

    private final List<String> train;
    private final List<String> eval;

    GraphNodeNames(List<String> train, List<String> eval) {
        this.train = List.copyOf(train);
        this.eval = List.copyOf(eval);
    }

    /**
     * Returns the nodes of the training-mode graph, in execution order.
     *
     * @return the names
     */
    public List<String> train() {
        return train;
    }

    /**
     * Returns the nodes of the evaluation-mode graph, in execution order.
     *
     * @return the names
     */
    public List<String> eval() {
        return eval;
    }

    /**
     * Returns the nodes of one mode.
     *
     * @param training true for the training graph
     * @return the names
     */
    public List<String> forMode(boolean training) {
        return training ? train : eval;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "GraphNodeNames{train=" + train + ", eval=" + eval + "}";
    }
}
