package org.fx4j.fx;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable, topologically ordered list of {@link Node}s ending in one output node: the IR that
 * {@link Tracer} produces. Transformations ({@link #withOutputs}, {@link #eliminateDeadCode}) return
 * new graphs that share the unchanged nodes.
 */
public final class Graph {

    private final List<Node> nodes;

    Graph(List<Node> nodes) {
        if (nodes.isEmpty() || nodes.get(nodes.size() - 1).op() != NodeOp.OUTPUT) {
            throw new IllegalArgumentException("A graph must end with its output node");
        }
        this.nodes = Collections.unmodifiableList(new ArrayList<>(nodes));
    }

    /**
     * Returns every node in execution order, the output node last.
     *
     * @return an unmodifiable list
     */
    public List<Node> nodes() {
        return nodes;
    }

    /**
     * Returns the qualified names of all nodes but the output and unlisted constants, in execution
     * order: the list that {@code getGraphNodeNames} reports.
     *
     * @return the names
     */
    public List<String> qualifiedNames() {
        List<String> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            if (n.op() != NodeOp.OUTPUT && n.isListed()) {
                out.add(n.qualifiedName());
            }
        }
        return out;
    }

    /**
     * Returns the output node.
     *
     * @return the last node
     */
    public Node outputNode() {
        return nodes.get(nodes.size() - 1);
    }

    /**
     * Returns the named outputs (output name to node or constant).
     *
     * @return an unmodifiable ordered map
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> outputs() {
        return Collections.unmodifiableMap((Map<String, Object>) outputNode().args().get(0));
    }

    /**
     * Returns the output nodes by output name; outputs that are constants are left out.
     *
     * @return an ordered map
     */
    public Map<String, Node> outputNodes() {
        Map<String, Node> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : outputs().entrySet()) {
            if (e.getValue() instanceof Node) {
                out.put(e.getKey(), (Node) e.getValue());
            }
        }
        return out;
    }

    /**
     * Returns the placeholder (input) nodes in order.
     *
     * @return the inputs
     */
    public List<Node> placeholders() {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (n.op() == NodeOp.PLACEHOLDER) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Finds a node by qualified name.
     *
     * @param qualifiedName the name, as in {@link #qualifiedNames()}
     * @return the node, if present
     */
    public Optional<Node> node(String qualifiedName) {
        for (Node n : nodes) {
            if (n.isListed() && qualifiedName.equals(n.qualifiedName())) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns the leaf-module blocks that call_module nodes use, by module path.
     *
     * @return path to block, in first-use order
     */
    public Map<String, Block> modules() {
        Map<String, Block> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            if (n.op() == NodeOp.CALL_MODULE) {
                out.putIfAbsent(n.target(), (Block) n.callable());
            }
        }
        return out;
    }

    /**
     * Returns the parameters read by get_attr nodes, by parameter path.
     *
     * @return path to parameter
     */
    public Map<String, Parameter> attributes() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Node n : nodes) {
            if (n.op() == NodeOp.GET_ATTR) {
                out.putIfAbsent(n.target(), (Parameter) n.callable());
            }
        }
        return out;
    }

    /**
     * Returns a graph whose output is the given nodes (in the given order, under the given names),
     * after dead-code elimination.
     *
     * @param outputs output name to node of this graph
     * @return the pruned graph
     */
    public Graph withOutputs(Map<String, Node> outputs) {
        Set<Node> mine = Collections.newSetFromMap(new IdentityHashMap<>());
        mine.addAll(nodes);
        for (Map.Entry<String, Node> e : outputs.entrySet()) {
            if (!mine.contains(e.getValue()) || e.getValue().op() == NodeOp.OUTPUT) {
                throw new IllegalArgumentException(
                        "Output '" + e.getKey() + "' names node " + e.getValue() + ", which is not a value node of this graph");
            }
        }
        List<Node> body = new ArrayList<>(nodes.subList(0, nodes.size() - 1));
        Map<String, Object> map = new LinkedHashMap<>(outputs);
        body.add(new Node(NodeOp.OUTPUT, "output", null, "output", List.of(map), null, 1));
        return new Graph(body).eliminateDeadCode();
    }

    /**
     * Removes every node that the output does not depend on; placeholders and checks ({@code _assert}
     * nodes of {@link org.fx4j.nn.SymBool#check}) are kept, as in {@code torch.fx}.
     *
     * @return the pruned graph
     */
    public Graph eliminateDeadCode() {
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.op() == NodeOp.OUTPUT || n.op() == NodeOp.PLACEHOLDER || n.hasSideEffect() || live.contains(n)) {
                live.add(n);
                live.addAll(n.inputNodes());
            }
        }
        List<Node> kept = new ArrayList<>();
        for (Node n : nodes) {
            if (live.contains(n)) {
                kept.add(n);
            }
        }
        return new Graph(kept);
    }

    /**
     * Returns the graph as readable Java-like code.
     *
     * @param className the name to print for the generated class
     * @return the code
     */
    public String code(String className) {
        return CodePrinter.print(this, className);
    }

    /**
     * Checks that names are unique and that every node reads only nodes defined before it.
     *
     * @throws IllegalStateException if the graph is malformed
     */
    public void lint() {
        Set<String> names = new HashSet<>();
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : nodes) {
            if (!names.add(n.name())) {
                throw new IllegalStateException("Duplicate node name '" + n.name() + "'");
            }
            for (Node in : n.inputNodes()) {
                if (!seen.contains(in)) {
                    throw new IllegalStateException("Node '" + n.name() + "' uses '" + in.name() + "' before it is defined");
                }
            }
            seen.add(n);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return code("GraphModule");
    }
}
