package org.fx4j.fx;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * A runnable {@link Graph}: a DJL block whose children are the leaf modules the graph calls, kept
 * under their original paths ({@code layer1.0.conv1}), so {@link #stateDict()} keys match the
 * source model's. Modules and parameters no node uses are not kept. Forward runs a precompiled
 * {@link ExecutionPlan} that closes every intermediate array right after its last use; outputs are
 * named after the graph's output names.
 */
public class GraphModule extends Module {

    private final Graph graph;
    private final String className;
    private final ExecutionPlan plan;

    /**
     * Builds a runnable module from a graph traced from some model.
     *
     * @param graph the graph
     * @param className the class name shown in printed code
     */
    public GraphModule(Graph graph, String className) {
        this.graph = graph;
        this.className = className;
        graph.lint();
        Map<String, Block> modules = graph.modules();
        for (Map.Entry<String, Block> e : modules.entrySet()) {
            registerPath(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Parameter> e : graph.attributes().entrySet()) {
            if (!ownedByKeptModule(e.getKey(), modules)) {
                registerParameterPath(e.getKey(), e.getValue());
            }
        }
        this.plan = new ExecutionPlan(graph, className, stateDict().values());
    }

    private static boolean ownedByKeptModule(String parameterPath, Map<String, Block> modules) {
        for (String path : modules.keySet()) {
            if (parameterPath.startsWith(path + ".")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns the graph this module runs.
     *
     * @return the graph
     */
    public Graph graph() {
        return graph;
    }

    /**
     * Returns the graph as readable Java-like code.
     *
     * @return the code
     */
    public String code() {
        return graph.code(className);
    }

    /**
     * Returns the class name shown in code and errors.
     *
     * @return the name
     */
    public String className() {
        return className;
    }

    /**
     * Sets whether inference runs fold each batch norm into the convolution it follows ({@link
     * org.fx4j.nn.ConvNormFolding}: one convolution with scaled weights instead of a convolution and a
     * pass over its output). The folded weights are cached and computed again when the parameters'
     * arrays are replaced or {@link org.fx4j.nn.Module#weightsGeneration()} moves, so loaded and
     * trained weights are seen. Off by default (on for a feature extractor's evaluation graph); it
     * applies only while gradients are off and to norms in evaluation mode, and never when {@link
     * #forward(ForwardContext, NDList, BiConsumer)} observes every node. Outputs then differ from the
     * unfolded graph's by rounding only.
     *
     * @param on true to fold
     * @return this module
     */
    public GraphModule foldBatchNorms(boolean on) {
        plan.foldNorms(on);
        return this;
    }

    /**
     * Returns how many convolution + norm pairs have folded weights cached now (they are made on the
     * first inference run, and freed when folding is turned off).
     *
     * @return the count
     */
    public int cachedFolds() {
        return plan.cachedFolds();
    }

    /**
     * Returns how many convolution + norm pairs (including the norms inside {@code Conv2dNormActivation}
     * leaves) ran folded in the last completed forward of this graph (from any thread).
     *
     * @return the count; 0 after a pass that ran as traced
     */
    public int foldedInLastPass() {
        return plan.lastFoldedPairs();
    }

    /**
     * Returns how many residual adds were computed in place in the last completed forward of this graph.
     *
     * @return the count; 0 after a pass that ran as traced
     */
    public int inPlaceAddsInLastPass() {
        return plan.lastInPlaceAdds();
    }

    /**
     * Turns on or off the oneDNN program of inference passes (on by default). The longest beginning of the graph
     * made only of convolutions (their norms folded), ReLU, max pooling, residual adds and identities (a whole
     * ResNet extractor, a detection backbone's body) runs its float32 CPU inference passes as one TorchScript
     * program with its convolutions in oneDNN's blocked layout, their weights reordered once and cached with the
     * folds; the rest of the graph runs node by node (see the README's "The inference pass"). Other types and
     * devices run node by node. It is part of the inference pass: {@link #foldBatchNorms foldBatchNorms(false)}
     * turns it off too.
     *
     * @param on whether float32 CPU inference passes may run the program
     * @return this module
     */
    public GraphModule useOneDnn(boolean on) {
        plan.useOneDnn(on);
        return this;
    }

    /**
     * Returns whether inference passes may run the oneDNN program.
     *
     * @return true unless turned off with {@link #useOneDnn}
     */
    public boolean usesOneDnn() {
        return plan.usesOneDnn();
    }

    /**
     * Returns whether the last completed pass ran as the oneDNN program.
     *
     * @return true if it did; false after a pass that ran node by node
     */
    public boolean oneDnnInLastPass() {
        return plan.lastOneDnn();
    }

    /**
     * Says why inference passes of this graph cannot run the oneDNN program.
     *
     * @return the first node outside the program's operators (or the load failure), or null if they can
     */
    public String oneDnnUnavailable() {
        return plan.oneDnnUnavailable();
    }

    /**
     * Says where the oneDNN program stops when it runs only the beginning of the graph (a detection backbone's
     * body before its feature pyramid, a classifier's convolutions before its pooling): the rest runs node by node.
     *
     * @return the first node the program does not run and why, or null when it runs the whole graph or there is
     *     no program ({@link #oneDnnUnavailable()})
     */
    public String oneDnnStop() {
        return plan.oneDnnStop();
    }

    /** How many times the oneDNN program's weights were packed, or found unpackable (for tests). */
    int oneDnnRepacks() {
        return plan.oneDnnRepacks();
    }

    /**
     * Returns libtorch's message from the last time the oneDNN program refused an input (that pass ran node
     * by node instead, where fx4j's own checks name what is wrong).
     *
     * @return the message, or null if the program never refused one
     */
    public String oneDnnLastRefusal() {
        return plan.lastOneDnnRefusal();
    }

    /**
     * Returns the oneDNN program's TorchScript source.
     *
     * @return the source, or null where the graph has no program
     */
    public String oneDnnSource() {
        return plan.oneDnnSource();
    }

    /**
     * Returns whether inference runs fold batch norms into convolutions.
     *
     * @return true if {@link #foldBatchNorms} turned it on
     */
    public boolean foldsBatchNorms() {
        return plan.foldsNorms();
    }

    /**
     * Returns how many convolution + batch-norm pairs of the graph can be folded (a convolution whose
     * output only a {@code BatchNorm2d} or {@code FrozenBatchNorm2d} reads, or a {@code Conv2dNormActivation}
     * leaf with such a norm).
     *
     * @return the number of pairs
     */
    public int foldablePairs() {
        return plan.foldablePairs();
    }

    /** {@inheritDoc} */
    @Override
    public List<String> inputNames() {
        return plan.inputNames();
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        return plan.run(ctx, inputs);
    }

    /**
     * Runs the graph and shows every node's value to {@code observer} right after it is computed
     * (before it may be closed), for shape propagation or debugging.
     *
     * @param ctx the context
     * @param inputs the inputs
     * @param observer receives (node, value); values must not be kept
     * @return the outputs
     */
    public NDList forward(ForwardContext ctx, NDList inputs, BiConsumer<Node, Object> observer) {
        return plan.run(ctx, inputs, observer);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return code();
    }
}
