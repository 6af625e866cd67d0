package org.fx4j.fx;

import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.fx4j.nn.ScalarOp;

/**
 * One operation of a {@link Graph}, immutable once the graph is built.
 *
 * <p>{@link #name()} is unique within a graph and used in printed code; {@link #qualifiedName()}
 * follows torchvision's {@code NodePathTracer} ({@code layer1.0.relu_2}) and is what users pass as
 * return nodes. Arguments are other nodes, constants, or lists / arrays / {@link NDList}s of those.
 */
public final class Node {

    private final NodeOp op;
    private final String name;
    private final String qualifiedName;
    private final String target;
    private final List<Object> args;
    private final Object callable;
    private final int outputCount;
    private final String modulePath;
    private final boolean listed;
    /** For a leaf call: the names its caller gave the input arrays (an FPN's level names), or null. */
    private List<String> argNames;

    Node(NodeOp op, String name, String qualifiedName, String target, List<Object> args, Object callable, int outputCount) {
        this(op, name, qualifiedName, target, args, callable, outputCount, "");
    }

    Node(NodeOp op, String name, String qualifiedName, String target, List<Object> args, Object callable, int outputCount,
            String modulePath) {
        this(op, name, qualifiedName, target, args, callable, outputCount, modulePath, true);
    }

    Node(NodeOp op, String name, String qualifiedName, String target, List<Object> args, Object callable, int outputCount,
            String modulePath, boolean listed) {
        this.listed = listed;
        this.op = op;
        this.name = name;
        this.qualifiedName = qualifiedName;
        this.target = target;
        this.args = Collections.unmodifiableList(new ArrayList<>(args));
        this.callable = callable;
        this.outputCount = outputCount;
        this.modulePath = modulePath;
    }

    /**
     * Returns the path of the module this node belongs to: the called module for {@code
     * call_module}, otherwise the module whose forward recorded it ({@code ""} for the root).
     *
     * @return the module path
     */
    public String modulePath() {
        return modulePath;
    }

    /**
     * Returns the kind of operation.
     *
     * @return the op
     */
    public NodeOp op() {
        return op;
    }

    /**
     * Returns the graph-unique name used in printed code ({@code layer1_0_relu_2}).
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Returns torchvision's qualified node name ({@code layer1.0.relu_2}); null for the output node.
     *
     * @return the qualified name
     */
    public String qualifiedName() {
        return qualifiedName;
    }

    /**
     * Returns the target: a module path, a function or method name, a parameter path or an input
     * name.
     *
     * @return the target
     */
    public String target() {
        return target;
    }

    /**
     * Returns the arguments (nodes, constants, or containers of those).
     *
     * @return an unmodifiable list
     */
    public List<Object> args() {
        return args;
    }

    /**
     * Returns the executable behind the node: the {@link org.fx4j.nn.FxFunction}, the method, the module block
     * or the parameter.
     *
     * @return the callable, or null for placeholders and the output
     */
    public Object callable() {
        return callable;
    }

    /**
     * Returns whether {@code getGraphNodeNames} lists this node and return nodes can name it: false
     * only for buffers read as graph constants ({@link org.fx4j.nn.ForwardContext#constant}), which
     * torch.fx records without a qualified name.
     *
     * @return true for ordinary nodes
     */
    public boolean isListed() {
        return listed;
    }

    /**
     * Returns whether this node computes a size ({@link org.fx4j.nn.SymInt}) or checks one rather than an array.
     *
     * @return true for shape reads ({@code getattr}, {@code getitem}, {@code size}, {@code dim}), size
     *     arithmetic, comparisons and {@code _assert} nodes
     */
    public boolean isSizeNode() {
        return callable instanceof ScalarOp;
    }

    /** Whether dead-code elimination must keep this node although nothing reads it (a check). */
    boolean hasSideEffect() {
        return callable instanceof ScalarOp && ((ScalarOp) callable).hasSideEffect();
    }

    /**
     * Returns how many arrays this node produces; more than one only for multi-output leaf
     * modules, whose elements are read by {@code getitem} nodes.
     *
     * @return the output count
     */
    public int outputCount() {
        return outputCount;
    }

    /**
     * Returns the nodes this node reads, in argument order, without duplicates.
     *
     * @return the input nodes
     */
    public List<Node> inputNodes() {
        List<Node> out = new ArrayList<>();
        for (Object arg : args) {
            ArgContainer.forEachLeaf(arg, leaf -> {
                if (leaf instanceof Node && !out.contains(leaf)) {
                    out.add((Node) leaf);
                }
            });
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return op.fxName() + " " + (qualifiedName == null ? name : qualifiedName) + " -> " + target;
    }

    /** The names the caller gave this leaf call's input arrays ({@code setName} while tracing), or null. */
    List<String> argNames() {
        return argNames;
    }

    void argNames(List<String> names) {
        argNames = names;
    }
}
