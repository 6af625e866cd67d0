package org.fx4j.features;

import ai.djl.nn.Block;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.fx4j.fx.Graph;
import org.fx4j.fx.GraphModule;
import org.fx4j.fx.Node;
import org.fx4j.fx.NodeOp;
import org.fx4j.fx.TraceOptions;
import org.fx4j.fx.Tracer;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code torchvision.models.feature_extraction} for Java: list a model's graph nodes
 * ({@link #getGraphNodeNames}) and build a {@link FeatureExtractor} that returns any of them
 * ({@link #createFeatureExtractor}).
 *
 * <pre>{@code
 * GraphNodeNames names = FeatureExtraction.getGraphNodeNames(resnet50);
 * FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(
 *         resnet50, Map.of("layer1", "c2", "layer4", "c5"));
 * Map<String, NDArray> features = fx.extract(images);
 * }</pre>
 */
public final class FeatureExtraction {

    private FeatureExtraction() {}

    /**
     * Lists the nodes of the training and evaluation graphs, warning if they differ.
     *
     * @param model an fx4j module or a DJL block
     * @return the node names
     */
    public static GraphNodeNames getGraphNodeNames(Block model) {
        return getGraphNodeNames(model, TraceOptions.defaults());
    }

    /**
     * Lists the nodes of the training and evaluation graphs.
     *
     * @param model an fx4j module or a DJL block
     * @param options leaf modules, autowrapped functions, warning suppression
     * @return the node names
     */
    public static GraphNodeNames getGraphNodeNames(Block model, TraceOptions options) {
        TraceOptions opts = options == null ? TraceOptions.defaults() : options;
        List<String> train = Tracer.trace(model, true, opts).qualifiedNames();
        List<String> eval = Tracer.trace(model, false, opts).qualifiedNames();
        if (!opts.suppressDiffWarning()) {
            warnGraphDifferences(train, eval, opts);
        }
        return new GraphNodeNames(train, eval);
    }

    /**
     * Builds an extractor returning the listed nodes under their own names.
     *
     * @param model the model
     * @param returnNodes node specs ({@code layer1}, {@code layer2.3.relu_2})
     * @return the extractor
     */
    public static FeatureExtractor createFeatureExtractor(Block model, List<String> returnNodes) {
        return createFeatureExtractor(model, ReturnNodes.of(returnNodes), TraceOptions.defaults());
    }

    /**
     * Builds an extractor returning the map's nodes under the names they map to.
     *
     * @param model the model
     * @param returnNodes node spec to output name
     * @return the extractor
     */
    public static FeatureExtractor createFeatureExtractor(Block model, Map<String, String> returnNodes) {
        return createFeatureExtractor(model, ReturnNodes.of(returnNodes), TraceOptions.defaults());
    }

    /**
     * Builds an extractor: traces the model in both modes, makes the chosen nodes the outputs,
     * removes everything they do not depend on, and wraps both graphs in one module that starts in
     * the model's mode (training for fx4j modules in training mode, evaluation for DJL blocks).
     *
     * @param model the model
     * @param returnNodes what to return
     * @param options leaf modules, autowrapped functions, warning suppression
     * @return the extractor
     */
    public static FeatureExtractor createFeatureExtractor(Block model, ReturnNodes returnNodes, TraceOptions options) {
        if (model == null) {
            throw new IllegalArgumentException("model is null");
        }
        if (returnNodes == null) {
            throw new IllegalArgumentException(ReturnNodes.NONE_GIVEN);
        }
        TraceOptions opts = options == null ? TraceOptions.defaults() : options;
        String className = model.getClass().getSimpleName();
        Graph trainGraph = Tracer.trace(model, true, opts);
        Graph evalGraph = Tracer.trace(model, false, opts);
        GraphModule train = new GraphModule(prune(trainGraph, returnNodes.forMode(true), "train"), className);
        GraphModule eval = new GraphModule(prune(evalGraph, returnNodes.forMode(false), "eval"), className);
        if (!opts.suppressDiffWarning()) {
            warnGraphDifferences(trainGraph.qualifiedNames(), evalGraph.qualifiedNames(), opts);
        }
        return new FeatureExtractor(train, eval, model instanceof Module ? (Module) model : null);
    }

    private static Graph prune(Graph graph, Map<String, String> spec, String mode) {
        List<String> available = graph.qualifiedNames();
        if (new HashSet<>(available).size() != available.size()) {
            throw new IllegalStateException("Duplicate node names in the " + mode + " graph: " + available);
        }
        for (String query : spec.keySet()) {
            Pattern p = Pattern.compile("^" + Pattern.quote(query) + "(\\.|$)");
            if (available.stream().noneMatch(n -> p.matcher(n).find())) {
                throw new IllegalArgumentException(
                        "node: '" + query + "' is not present in model (" + mode + " mode). Hint: use"
                                + " `getGraphNodeNames` to make sure the `returnNodes` you specified are present. It may"
                                + " even be that you need to specify `trainReturnNodes` and `evalReturnNodes` separately."
                                + " Closest present nodes: " + closest(query, available));
            }
        }
        // As torchvision: scan nodes backwards; each query takes the last node it prefixes.
        Map<String, String> remaining = new LinkedHashMap<>(spec);
        Deque<Map.Entry<String, Node>> found = new ArrayDeque<>();
        Map<Node, String> claimedBy = new LinkedHashMap<>();
        List<Node> nodes = graph.nodes();
        for (int i = nodes.size() - 1; i >= 0 && !remaining.isEmpty(); i--) {
            Node n = nodes.get(i);
            if (n.op() == NodeOp.OUTPUT || !n.isListed()) {
                continue;
            }
            String[] parts = n.qualifiedName().split("\\.");
            for (Map.Entry<String, String> q : remaining.entrySet()) {
                int depth = q.getKey().split("\\.", -1).length;
                if (depth <= parts.length && String.join(".", List.of(parts).subList(0, depth)).equals(q.getKey())) {
                    found.addFirst(Map.entry(q.getValue(), n));
                    claimedBy.put(n, q.getKey());
                    remaining.remove(q.getKey());
                    break;
                }
            }
        }
        if (!remaining.isEmpty()) {
            String query = remaining.keySet().iterator().next();
            String other = claimedBy.entrySet().stream()
                    .filter(e -> e.getKey().qualifiedName().equals(query) || e.getKey().qualifiedName().startsWith(query + "."))
                    .map(e -> "'" + e.getValue() + "'")
                    .findFirst()
                    .orElse("another return node");
            throw new IllegalArgumentException(
                    "Return node '" + query + "' resolves to the same node as " + other + " (" + mode
                            + " mode); ask for that node once");
        }
        Map<String, Node> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, Node> e : found) {
            if (e.getValue().isSizeNode()) {
                throw new IllegalArgumentException("Return node '" + claimedBy.get(e.getValue()) + "' resolves to '"
                        + e.getValue().qualifiedName() + "', which computes a size or checks one (a SymInt shape read),"
                        + " not a feature array (" + mode + " mode); choose an array-valued node");
            }
            outputs.put(e.getKey(), e.getValue());
        }
        return graph.withOutputs(outputs);
    }

    static String closest(String query, List<String> available) {
        // Candidates are the node names and their module prefixes (truncated specs such as "layer1").
        Set<String> candidates = new LinkedHashSet<>();
        for (String name : available) {
            int dot = name.indexOf('.');
            while (dot > 0) {
                candidates.add(name.substring(0, dot));
                dot = name.indexOf('.', dot + 1);
            }
            candidates.add(name);
        }
        List<String> ordered = new ArrayList<>(candidates);
        List<String> best = ordered.stream()
                .sorted(Comparator.comparingInt((String n) -> distance(query, n)).thenComparing(ordered::indexOf))
                .limit(5)
                .map(n -> "'" + n + "'")
                .collect(Collectors.toList());
        return String.join(", ", best);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    static void warnGraphDifferences(List<String> train, List<String> eval, TraceOptions options) {
        if (train.equals(eval)) {
            return;
        }
        String suggestion =
                "When choosing nodes for feature extraction, you may need to specify output nodes for train and eval"
                        + " mode separately.";
        String msg;
        if (isSubsequence(train, eval)) {
            msg = "NOTE: The nodes obtained by tracing the model in eval mode are a subsequence of those obtained in"
                    + " train mode. ";
        } else if (isSubsequence(eval, train)) {
            msg = "NOTE: The nodes obtained by tracing the model in train mode are a subsequence of those obtained in"
                    + " eval mode. ";
        } else {
            msg = "The nodes obtained by tracing the model in train mode are different to those obtained in eval mode. ";
        }
        options.warn(msg + suggestion);
    }

    /** Whether {@code sub} is a subsequence of {@code seq}, torchvision's {@code _is_subseq(seq, sub)}. */
    private static boolean isSubsequence(List<String> seq, List<String> sub) {
        int i = 0;
        for (String s : seq) {
            if (i < sub.size() && s.equals(sub.get(i))) {
                i++;
            }
        }
        return i == sub.size();
    }
}
