package org.fx4j.fx;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fx4j.nn.ForwardContext;

/**
 * Shape propagation: runs a graph once on a zero probe input (evaluation mode, no gradients, on a
 * temporary manager) and records the shape of every node that yields one array. The model's
 * parameters must be initialised or loaded; the probe takes the type and device of the first
 * floating-point parameter (float32 on the CPU when there is none).
 */
public final class ShapePropagation {

    private ShapePropagation() {}

    /**
     * Propagates shapes through a graph.
     *
     * @param graph the graph (traced from an initialised model)
     * @param inputShapes one shape per placeholder, e.g. {@code (1, 3, 224, 224)}
     * @return node to output shape, in execution order (nodes yielding several arrays are left out)
     */
    public static Map<Node, Shape> run(Graph graph, Shape... inputShapes) {
        GraphModule gm = new GraphModule(graph, "ShapeProbe");
        Map<Node, Shape> shapes = new LinkedHashMap<>();
        Engine.getInstance(); // libtorch must be loaded before its grad mode is read
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        NDArray like = firstFloatingParameter(graph);
        try (NDManager manager = like == null ? NDManager.newBaseManager() : NDManager.newBaseManager(like.getDevice())) {
            NDList inputs = new NDList();
            for (Shape s : inputShapes) {
                // the probe takes the parameters' type and device (a float64 model gets float64 zeros)
                inputs.add(like == null ? manager.zeros(s) : manager.zeros(s, like.getDataType()));
            }
            ForwardContext ctx = ForwardContext.eager(gm).allEval();
            gm.forward(ctx, inputs, (node, value) -> {
                if (value instanceof NDArray) {
                    shapes.put(node, ((NDArray) value).getShape());
                }
            });
        } finally {
            JniUtils.setGradMode(grad);
        }
        return shapes;
    }

    private static NDArray firstFloatingParameter(Graph graph) {
        for (Block module : graph.modules().values()) {
            for (Parameter p : module.getParameters().values()) {
                if (p.isInitialized() && p.getArray().getDataType().isFloating()) {
                    return p.getArray();
                }
            }
        }
        return null;
    }
}
