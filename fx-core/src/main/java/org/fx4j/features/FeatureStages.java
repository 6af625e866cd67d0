package org.fx4j.features;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fx4j.fx.Graph;
import org.fx4j.fx.Node;
import org.fx4j.fx.NodeOp;
import org.fx4j.fx.TraceOptions;
import org.fx4j.fx.Tracer;

/**
 * timm-style stage selection: the nodes that end each stage of a backbone, found by shape
 * propagation rather than per-model tables, and extractors built from stage indices
 * ({@code outIndices}, negative indices counting from the end).
 *
 * <p>A stage ends at the last node of each spatial reduction (stride). Only feature maps whose size
 * follows the input's count, channels-first or channels-last (so pooled heads and adaptive
 * pools to fixed sizes are not stages). Nodes are grouped at the shallowest module level whose
 * blocks end at every reduction present ({@code conv1, bn1, ..., layer4} for a ResNet, {@code
 * features.0 ... features.18} for a MobileNetV2); for each reduction, the last node of the last block
 * whose output has it ends that stage. For a ResNet this gives {@code relu} (stride 2) and the outputs of
 * {@code layer1} to {@code layer4} (strides 4 to 32), as timm's {@code features_only} does.
 */
public final class FeatureStages {

    private FeatureStages() {}

    /**
     * Finds the stage-end nodes of an initialised model with the default probe.
     *
     * @param model the model (initialised or loaded)
     * @return qualified node names, one per stage, in execution order
     */
    public static List<String> stageNodes(Block model) {
        return stageNodes(model, FeatureInfo.DEFAULT_PROBE, TraceOptions.defaults());
    }

    /**
     * Finds the stage-end nodes of an initialised model.
     *
     * @param model the model (initialised or loaded)
     * @param probe the probe input shape (N, C, H, W)
     * @param options tracing options
     * @return qualified node names, one per stage, in execution order
     */
    public static List<String> stageNodes(Block model, Shape probe, TraceOptions options) {
        Graph graph = Tracer.trace(model, false, options);
        Map<Node, FeatureLayout> layouts = FeatureLayout.of(graph, probe);
        List<Node> spatial = new ArrayList<>();
        for (Map.Entry<Node, FeatureLayout> e : layouts.entrySet()) {
            if (e.getKey().op() != NodeOp.PLACEHOLDER && e.getValue().reduction() > 0) {
                spatial.add(e.getKey());
            }
        }
        if (spatial.isEmpty()) {
            throw new IllegalArgumentException(model.getClass().getSimpleName()
                    + " has no node with a feature-map output (NCHW or NHWC, size following the input) for probe "
                    + probe + "; stages are defined for backbones with feature maps");
        }
        Set<Integer> present = covered(spatial, layouts);
        int maxDepth = spatial.stream().mapToInt(n -> n.qualifiedName().split("\\.").length).max().orElse(1);
        int depth = 1;
        Map<String, Node> groupEnds = groupEnds(spatial, depth);
        while (!covered(groupEnds.values(), layouts).equals(present) && depth < maxDepth) {
            groupEnds = groupEnds(spatial, ++depth);
        }
        TreeMap<Integer, Node> lastByReduction = new TreeMap<>();
        for (Node end : groupEnds.values()) {
            lastByReduction.put(layouts.get(end).reduction(), end);
        }
        List<Node> ends = new ArrayList<>(lastByReduction.values());
        ends.sort((a, b) -> Integer.compare(spatial.indexOf(a), spatial.indexOf(b)));
        List<String> names = new ArrayList<>();
        for (Node n : ends) {
            names.add(n.qualifiedName());
        }
        return names;
    }

    /** The reductions of the given nodes' outputs. */
    private static Set<Integer> covered(Collection<Node> nodes, Map<Node, FeatureLayout> layouts) {
        Set<Integer> out = new TreeSet<>();
        for (Node n : nodes) {
            out.add(layouts.get(n).reduction());
        }
        return out;
    }

    private static Map<String, Node> groupEnds(List<Node> spatial, int depth) {
        Map<String, Node> ends = new LinkedHashMap<>();
        for (Node n : spatial) {
            String[] parts = n.qualifiedName().split("\\.");
            String key = String.join(".", Arrays.copyOf(parts, Math.min(depth, parts.length)));
            ends.remove(key);
            ends.put(key, n);
        }
        return ends;
    }

    /**
     * Builds an extractor of the given stages (timm's {@code out_indices}); outputs are named after
     * their nodes.
     *
     * @param model the model (initialised or loaded)
     * @param outIndices stage indices; negative ones count from the last stage
     * @return the extractor
     */
    public static FeatureExtractor createFeatureExtractor(Block model, int... outIndices) {
        List<String> stages = stageNodes(model);
        if (outIndices.length == 0) {
            throw new IllegalArgumentException("Give at least one stage index (0.." + (stages.size() - 1) + ")");
        }
        Set<String> chosen = new LinkedHashSet<>();
        for (int i : outIndices) {
            int k = i < 0 ? stages.size() + i : i;
            if (k < 0 || k >= stages.size()) {
                throw new IllegalArgumentException("Stage index " + i + " is out of range: "
                        + model.getClass().getSimpleName() + " has " + stages.size() + " stages " + stages
                        + " (indices 0.." + (stages.size() - 1) + " or -" + stages.size() + "..-1)");
            }
            if (!chosen.add(stages.get(k))) {
                throw new IllegalArgumentException("Stage index " + i + " names stage " + k + " twice");
            }
        }
        return FeatureExtraction.createFeatureExtractor(model, new ArrayList<>(chosen));
    }
}
