package org.fx4j.features;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which graph nodes a feature extractor returns, and under which output names: torchvision's
 * {@code return_nodes}, or {@code train_return_nodes} and {@code eval_return_nodes} together.
 *
 * <p>A node spec is a qualified node name ({@code layer1.2.relu_2}) or a truncated one ({@code
 * layer1}), which resolves to the last node under it. A list returns each node under its own spec;
 * a map renames ({@code {"layer4": "feat"}}).
 */
public final class ReturnNodes {

    static final String NONE_GIVEN =
            "Either `returnNodes` or `trainReturnNodes` and `evalReturnNodes` together, should be specified";
    static final String ONLY_ONE =
            "If any of `trainReturnNodes` and `evalReturnNodes` are specified, then both should be specified";
    static final String BOTH_KINDS =
            "If `trainReturnNodes` and `evalReturnNodes` are specified, then `returnNodes` should not be specified";

    private final Map<String, String> train;
    private final Map<String, String> eval;

    private ReturnNodes(Map<String, String> train, Map<String, String> eval) {
        this.train = Collections.unmodifiableMap(train);
        this.eval = Collections.unmodifiableMap(eval);
    }

    /**
     * Returns each listed node under its own name, in both modes.
     *
     * @param nodes node specs
     * @return the spec
     */
    public static ReturnNodes of(List<String> nodes) {
        return builder().returnNodes(nodes).build();
    }

    /**
     * Returns each node of the map under the name it maps to, in both modes.
     *
     * @param nodeToName node spec to output name
     * @return the spec
     */
    public static ReturnNodes of(Map<String, String> nodeToName) {
        return builder().returnNodes(nodeToName).build();
    }

    /**
     * Returns a builder, to give {@code returnNodes} or train and eval nodes separately.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the node-to-name map of a mode.
     *
     * @param training true for the training graph
     * @return node spec to output name, in the order given
     */
    public Map<String, String> forMode(boolean training) {
        return training ? train : eval;
    }

    static Map<String, String> toMap(List<String> nodes, String what) {
        if (nodes == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String n : nodes) {
            checkSpec(n, what);
            if (out.put(n, n) != null) {
                throw new IllegalArgumentException(
                        "Node '" + n + "' is listed twice in " + what + "; list each node once (use a map to name outputs)");
            }
        }
        return out;
    }

    static Map<String, String> toMap(Map<String, String> nodeToName, String what) {
        if (nodeToName == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        Map<String, String> byName = new HashMap<>();
        for (Map.Entry<String, String> e : nodeToName.entrySet()) {
            checkSpec(e.getKey(), what);
            String name = e.getValue();
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException(
                        "Output name for node '" + e.getKey() + "' in " + what + " is empty; give every output a name");
            }
            String previous = byName.put(name, e.getKey());
            if (previous != null) {
                throw new IllegalArgumentException(
                        "Duplicate output name '" + name + "' in " + what + ": nodes '" + previous + "' and '" + e.getKey()
                                + "' would both be returned as '" + name + "'; give each output its own name");
            }
            out.put(e.getKey(), name);
        }
        return out;
    }

    private static void checkSpec(String spec, String what) {
        if (spec == null || spec.isEmpty()) {
            throw new IllegalArgumentException(
                    "Empty node name in " + what + "; use names from getGraphNodeNames (e.g. 'layer1' or 'layer1.2.relu_2')");
        }
    }

    /**
     * Builds a {@link ReturnNodes}, checking the combination as torchvision does: {@code returnNodes}
     * alone, or {@code trainReturnNodes} and {@code evalReturnNodes} together.
     */
    public static final class Builder {
        private Map<String, String> returnNodes;
        private Map<String, String> trainReturnNodes;
        private Map<String, String> evalReturnNodes;

        private Builder() {}

        /**
         * Sets nodes for both modes.
         *
         * @param nodes node specs
         * @return this builder
         */
        public Builder returnNodes(List<String> nodes) {
            returnNodes = toMap(nodes, "returnNodes");
            return this;
        }

        /**
         * Sets nodes and output names for both modes.
         *
         * @param nodeToName node spec to output name
         * @return this builder
         */
        public Builder returnNodes(Map<String, String> nodeToName) {
            returnNodes = toMap(nodeToName, "returnNodes");
            return this;
        }

        /**
         * Sets the nodes of the training graph.
         *
         * @param nodes node specs
         * @return this builder
         */
        public Builder trainReturnNodes(List<String> nodes) {
            trainReturnNodes = toMap(nodes, "trainReturnNodes");
            return this;
        }

        /**
         * Sets the nodes and names of the training graph.
         *
         * @param nodeToName node spec to output name
         * @return this builder
         */
        public Builder trainReturnNodes(Map<String, String> nodeToName) {
            trainReturnNodes = toMap(nodeToName, "trainReturnNodes");
            return this;
        }

        /**
         * Sets the nodes of the evaluation graph.
         *
         * @param nodes node specs
         * @return this builder
         */
        public Builder evalReturnNodes(List<String> nodes) {
            evalReturnNodes = toMap(nodes, "evalReturnNodes");
            return this;
        }

        /**
         * Sets the nodes and names of the evaluation graph.
         *
         * @param nodeToName node spec to output name
         * @return this builder
         */
        public Builder evalReturnNodes(Map<String, String> nodeToName) {
            evalReturnNodes = toMap(nodeToName, "evalReturnNodes");
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the spec
         */
        public ReturnNodes build() {
            if (returnNodes == null && trainReturnNodes == null && evalReturnNodes == null) {
                throw new IllegalArgumentException(NONE_GIVEN);
            }
            if ((trainReturnNodes == null) != (evalReturnNodes == null)) {
                throw new IllegalArgumentException(ONLY_ONE);
            }
            if (returnNodes != null && trainReturnNodes != null) {
                throw new IllegalArgumentException(BOTH_KINDS);
            }
            Map<String, String> train = returnNodes != null ? returnNodes : trainReturnNodes;
            Map<String, String> eval = returnNodes != null ? returnNodes : evalReturnNodes;
            if (train.isEmpty() || eval.isEmpty()) {
                throw new IllegalArgumentException(
                        "No return nodes given (an empty " + (returnNodes != null ? "returnNodes" : train.isEmpty()
                                ? "trainReturnNodes" : "evalReturnNodes")
                                + "); name at least one node, e.g. 'layer4'. Use getGraphNodeNames to list them.");
            }
            return new ReturnNodes(new LinkedHashMap<>(train), new LinkedHashMap<>(eval));
        }
    }
}
