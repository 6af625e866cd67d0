package org.fx4j.features;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.fx.Graph;
import org.fx4j.fx.Node;
import org.fx4j.fx.NodeOp;
import org.fx4j.fx.TraceOptions;
import org.fx4j.fx.Tracer;

/**
 * One node of a model's evaluation graph, as a designer of an extractor wants to see it: its name
 * (what {@code getGraphNodeNames} lists and {@code createFeatureExtractor} takes), op, target,
 * module path and class, and, from shape propagation, its output shape, channels and stride
 * (input height over output height). {@link #of} lists every node in execution order.
 *
 * @param name the qualified node name, e.g. {@code layer1.0.relu_2}
 * @param op torch.fx's op, e.g. {@code call_module}
 * @param target the module path, function or method name
 * @param modulePath the path of the module the node was recorded in ({@code ""} at the top)
 * @param moduleClass the class of the called module ({@code call_module} nodes), else {@code ""}
 * @param shape the output shape for the probe, or null for nodes that yield no single array (sizes, tuples)
 * @param channels the output's channels (see {@link FeatureInfo}), 0 when there is no array
 * @param stride the reduction of a feature map whose size follows the input's, else 0
 */
public record NodeSummary(String name, String op, String target, String modulePath, String moduleClass, Shape shape,
        long channels, int stride) {

    /**
     * Lists the nodes of a model's evaluation graph.
     *
     * @param model an initialised model (shapes are propagated with zeros of the probe's shape)
     * @param probe the input shape, e.g. {@code (1, 3, 224, 224)}
     * @param options tracing options
     * @return one summary per listed node, in execution order
     */
    public static List<NodeSummary> of(Block model, Shape probe, TraceOptions options) {
        Graph graph = Tracer.trace(model, false, options == null ? TraceOptions.defaults() : options);
        Map<Node, FeatureLayout> layouts = FeatureLayout.of(graph, probe);
        Map<String, Block> modules = graph.modules();
        List<NodeSummary> out = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.op() == NodeOp.OUTPUT || !n.isListed()) {
                continue;
            }
            FeatureLayout l = layouts.get(n);
            Block module = n.op() == NodeOp.CALL_MODULE ? modules.get(n.target()) : null;
            out.add(new NodeSummary(n.qualifiedName(), n.op().fxName(), String.valueOf(n.target()),
                    n.modulePath() == null ? "" : n.modulePath(), module == null ? "" : module.getClass().getSimpleName(),
                    l == null ? null : l.shape(), l == null ? 0 : l.channels(), l == null ? 0 : l.reduction()));
        }
        return out;
    }
}
