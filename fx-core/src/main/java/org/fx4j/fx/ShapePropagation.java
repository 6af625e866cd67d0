package org.fx4j.fx;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fx4j.nn.ForwardContext;

/**
 * Shape propagation: runs a graph once on a zero probe input (evaluation mode, no gradients, on a
 * temporary manager) and records the shape of every node that yields one array. The model's
 * parameters must be initialised or loaded.
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
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList inputs = new NDList();
            for (Shape s : inputShapes) {
                inputs.add(manager.zeros(s));
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
}
