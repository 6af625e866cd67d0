package org.fx4j.fx;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.FxFunction;
import org.fx4j.nn.LeafModule;
import org.fx4j.nn.Module;
import org.fx4j.nn.ModuleCallHandler;
import org.fx4j.nn.Recorder;
import org.fx4j.nn.ScalarOp;
import org.fx4j.nn.SymBool;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.SymShape;
import org.fx4j.nn.SymValue;
import org.fx4j.nn.TraceException;

/**
 * Symbolic tracer: runs a model's forward on symbolic arrays and records a {@link Graph}.
 *
 * <p>Leaf modules (fx4j's {@link LeafModule}s, declared leaf classes, and DJL blocks other than
 * DJL's containers, see {@link DjlBlocks}) become one {@code call_module} node; other modules are
 * traced through. Nodes are named by {@link NodeNamer} (torchvision's rule). Tracing reads the
 * modules' modes and never changes them: a training-mode trace runs each module in its own mode
 * when the model is in training mode (a frozen part stays in eval), and every module in training
 * mode when the model is in eval mode (as torchvision's {@code model.train()} before tracing); an
 * evaluation-mode trace runs every module in eval mode. A tracer traces once.
 */
public final class Tracer implements ModuleCallHandler, Recorder {

    private final TraceOptions options;
    private final List<Node> nodes = new ArrayList<>();
    private final NodeNamer namer = new NodeNamer();
    private final Map<Block, String> modulePaths = new IdentityHashMap<>();
    private final Map<Parameter, String> parameterPaths = new IdentityHashMap<>();
    private final Map<NDArray, Parameter> stateArrays = new IdentityHashMap<>();
    /** In-place rebinds, undone by {@link #truncate}. */
    private final List<Rebind> rebinds = new ArrayList<>();
    private String currentPath = "";
    private NDManager constants;
    private boolean used;

    /**
     * Creates a tracer.
     *
     * @param options leaf modules, autowrapped functions, input names
     */
    public Tracer(TraceOptions options) {
        this.options = options == null ? TraceOptions.defaults() : options;
    }

    /**
     * Traces a model in one mode.
     *
     * @param model an fx4j {@link Module} or a DJL block
     * @param training the mode to trace in (the model's own modes are read, never changed)
     * @param options tracing options (null for defaults)
     * @return the graph
     */
    public static Graph trace(Block model, boolean training, TraceOptions options) {
        return new Tracer(options).trace(model, training);
    }

    /**
     * Returns the options of this tracer.
     *
     * @return the options
     */
    public TraceOptions options() {
        return options;
    }

    /**
     * Traces {@code root}. The root is always traced through, even if it is a leaf type.
     *
     * @param root the model
     * @param training the mode
     * @return the graph
     */
    public Graph trace(Block root, boolean training) {
        if (root == null) {
            throw new IllegalArgumentException("Cannot trace a null model");
        }
        if (used) {
            throw new IllegalStateException("A Tracer traces once; create a new Tracer for another trace");
        }
        used = true;
        indexPaths(root, "");
        Module module = root instanceof Module ? (Module) root : null;
        ForwardContext.Modes modes = !training ? ForwardContext.Modes.ALL_EVAL
                : module != null && module.isTraining() ? ForwardContext.Modes.OWN : ForwardContext.Modes.ALL_TRAINING;
        try {
            NDList inputs = new NDList();
            for (String name : inputNames(root)) {
                Node p = addNode(NodeOp.PLACEHOLDER, name, name, List.of(), null, 1);
                inputs.add(SymbolicValue.create(this, p));
            }
            ForwardContext ctx = new ForwardContext(null, modes, null, this, module);
            NDList out = module != null ? module.forward(ctx, inputs) : DjlBlocks.traceThrough(this, ctx, root, inputs);
            Map<String, Object> outputs = new LinkedHashMap<>();
            Node whole = wholeDictOutput(out);
            if (whole != null) {
                outputs.put("output", whole); // a dict-returning leaf's output returned as is, as torch.fx
            } else {
                for (int i = 0; i < out.size(); i++) {
                    outputs.put(out.size() == 1 ? "output" : "output_" + i, toArg(out.get(i)));
                }
            }
            List<Node> all = new ArrayList<>(nodes);
            all.add(new Node(NodeOp.OUTPUT, "output", null, "output", List.of(outputs), null, 1));
            Graph graph = new Graph(all);
            graph.lint();
            return graph;
        } catch (RuntimeException e) {
            closeConstants(true);
            throw e;
        } finally {
            closeConstants(false);
        }
    }

    /** Closes the constants' manager unless the graph holds arrays created in it. */
    private void closeConstants(boolean always) {
        if (constants != null && (always || constants.getManagedArrays().isEmpty())) {
            constants.close();
            constants = null;
        }
    }

    private List<String> inputNames(Block root) {
        if (options.inputNames() != null) {
            return options.inputNames();
        }
        if (root instanceof Module) {
            return ((Module) root).inputNames();
        }
        return List.of("x");
    }

    private void indexPaths(Block block, String path) {
        if (modulePaths.containsKey(block)) {
            return;
        }
        modulePaths.put(block, path);
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            Parameter parameter = p.getValue();
            if (parameterPaths.putIfAbsent(parameter, join(path, p.getKey())) == null && parameter.isInitialized()) {
                stateArrays.putIfAbsent(parameter.getArray(), parameter);
            }
        }
        for (Pair<String, Block> child : block.getChildren()) {
            indexPaths(child.getValue(), join(path, child.getKey()));
        }
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    // ------------------------------------------------------------------ module calls

    /** {@inheritDoc} */
    @Override
    public NDList callModule(ForwardContext ctx, Block child, NDList inputs) {
        String path = modulePaths.get(child);
        if (path == null) {
            throw new TraceException(
                    "A " + child.getClass().getSimpleName() + " is called from '" + describePath(currentPath)
                            + "' but is not registered under the traced model, so it has no name. Register it as a"
                            + " child (register(\"name\", module) in an fx4j Module) before tracing.");
        }
        if (isLeaf(child)) {
            return recordLeaf(child, path, inputs);
        }
        if (wholeDictOutput(inputs) == null) {
            // Items passed one by one were read by the caller (o["0"] in its code): their getitem is the caller's.
            for (NDArray a : inputs) {
                SymbolicValue v = SymbolicValue.of(a);
                if (v != null && v.itemOf() != null && v.isUnread()) {
                    v.node();
                }
            }
        }
        String previous = currentPath;
        currentPath = path;
        try {
            if (child instanceof Module) {
                return ((Module) child).forward(ctx.enter(child), inputs);
            }
            return DjlBlocks.traceThrough(this, ctx.enter(child), child, inputs);
        } finally {
            currentPath = previous;
        }
    }

    /** The module path of a block of the traced model. */
    String pathOf(Block block) {
        return modulePaths.get(block);
    }

    /** The number of nodes recorded so far, for {@link #truncate}. */
    int mark() {
        return nodes.size();
    }

    /** Drops the nodes recorded after {@code mark}, and undoes the in-place rebinds made since. */
    void truncate(int mark) {
        while (nodes.size() > mark) {
            namer.forget(nodes.remove(nodes.size() - 1));
        }
        for (int i = rebinds.size() - 1; i >= 0 && rebinds.get(i).mark() >= mark; i--) {
            Rebind r = rebinds.remove(i);
            r.array().rebind(r.before());
        }
        for (int i = reads.size() - 1; i >= 0 && reads.get(i).mark() >= mark; i--) {
            reads.remove(i).item().unread();
        }
    }

    /** An in-place update of {@code array}, bound to {@code before} until then, made at node count {@code mark}. */
    private record Rebind(SymbolicValue array, Node before, int mark) {}

    /** Notes that an in-place op rebinds {@code array} from {@code before}, so a truncation can undo it. */
    void noteRebind(SymbolicValue array, Node before, int mark) {
        rebinds.add(new Rebind(array, before, mark));
    }

    /**
     * Records a leaf call as one {@code call_module} node whose value is the leaf's whole output (an
     * {@code NDList} for a multi-output leaf), for re-tracing a graph that reads its items with its
     * own {@code getitem} nodes.
     */
    NDArray recordModuleCall(Block block, Object[] args) {
        String path = modulePaths.get(block);
        if (path == null) {
            throw new TraceException("A " + block.getClass().getSimpleName() + " called by a re-traced graph is not"
                    + " registered under the traced model; register the graph module as a child");
        }
        return SymbolicValue.create(this, addModuleNode(block, path, convertAll(args)));
    }

    /** One {@code call_module} node for a leaf call, with the leaf's output count. */
    private Node addModuleNode(Block block, String path, List<Object> args) {
        int count = block instanceof LeafModule ? ((LeafModule) block).outputCount() : 1;
        return addNode(NodeOp.CALL_MODULE, path, path, args, block, count);
    }

    /** Whether this tracer records {@code block} as a leaf. */
    boolean isLeaf(Block block) {
        return options.isDeclaredLeaf(block) || block instanceof LeafModule
                || !(block instanceof Module) && !DjlBlocks.isStructural(block);
    }

    /**
     * Records a call of a leaf block at {@code path} as one node, plus one {@code getitem} node per
     * output of a multi-output leaf, named in the caller's scope as torch.fx names them.
     */
    NDList recordLeaf(Block block, String path, NDList inputs) {
        Node node = addModuleNode(block, path, convertAll(inputs.toArray()));
        List<String> labels = new ArrayList<>();
        boolean labelled = false;
        for (NDArray a : inputs) {
            SymbolicValue v = SymbolicValue.of(a);
            labels.add(v == null ? a.getName() : v.label());
            labelled |= v != null && v.label() != null;
        }
        if (labelled) {
            node.argNames(labels); // replayed before the call: a dict-taking leaf (an FPN) reads its keys from names
        }
        int count = node.outputCount();
        if (count == 1) {
            return new NDList(SymbolicValue.create(this, node));
        }
        NDList out = new NDList(count);
        if (block instanceof LeafModule && ((LeafModule) block).returnsDict()) {
            return itemsOf(node);
        }
        for (int i = 0; i < count; i++) {
            Node item = addNode(NodeOp.CALL_FUNCTION, "getitem", "getitem", List.of(node, i), GETITEM, 1);
            out.add(SymbolicValue.create(this, item));
        }
        return out;
    }

    /** The items of a dict-returning call's output, each recording its getitem node when first read. */
    NDList itemsOf(Node call) {
        NDList out = new NDList(call.outputCount());
        for (int i = 0; i < call.outputCount(); i++) {
            out.add(SymbolicValue.createItem(this, call, i));
        }
        return out;
    }

    /** An item's getitem node, recorded when it is first read (in the reader's scope, as torch.fx names it). */
    private record Read(SymbolicValue item, int mark) {}

    private final List<Read> reads = new ArrayList<>();

    /** Records the getitem node of an item of a dict-returning leaf when it is first read, in the current scope. */
    Node getitemNode(SymbolicValue item, Node call, int index) {
        reads.add(new Read(item, nodes.size()));
        return addNode(NodeOp.CALL_FUNCTION, "getitem", "getitem", List.of(call, index), GETITEM, 1);
    }

    /**
     * The call node whose whole dict output {@code out} is (its items, in order, read or not), or null:
     * a module that returns a dict-returning leaf's output returns the call itself, as under torch.fx.
     */
    static Node wholeDictOutput(NDList out) {
        SymbolicValue first = out.isEmpty() ? null : SymbolicValue.of(out.get(0));
        Node call = first == null ? null : first.itemOf();
        if (call == null || call.outputCount() != out.size()) {
            return null;
        }
        for (int i = 0; i < out.size(); i++) {
            SymbolicValue v = SymbolicValue.of(out.get(i));
            if (v == null || !v.isItemOf(call, i)) {
                return null;
            }
        }
        return call;
    }

    /** Reads one array of a multi-output module's result. */
    static final FxFunction GETITEM =
            FxFunction.atomic("getitem", args -> ((NDList) args[0]).get((Integer) args[1]));

    /** {@inheritDoc} */
    @Override
    public NDArray parameterValue(ForwardContext ctx, Parameter parameter, Device device) {
        return SymbolicValue.create(this, getAttr(parameter, "parameter"));
    }

    private Node getAttr(Parameter parameter, String kind) {
        String path = ownedPath(parameter, kind);
        return addNode(NodeOp.GET_ATTR, path.replace('.', '_'), path, List.of(), parameter, 1);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray constantValue(ForwardContext ctx, Parameter parameter, Device device) {
        String path = ownedPath(parameter, "buffer");
        String name = namer.uniqueName(path);
        Node node = new Node(NodeOp.GET_ATTR, name, name, path, List.of(), parameter, 1, currentPath, false);
        nodes.add(node);
        return SymbolicValue.create(this, node);
    }

    /** The state-dict path of a parameter or buffer of the traced model. */
    private String ownedPath(Parameter parameter, String kind) {
        String path = parameterPaths.get(parameter);
        if (path == null) {
            String who = describePath(currentPath);
            throw new TraceException(Character.toUpperCase(who.charAt(0)) + who.substring(1) + " reads " + kind + " '"
                    + parameter.getName() + "', which does not belong to the traced model; register the module that owns it");
        }
        return path;
    }

    // ------------------------------------------------------------------ functions, methods, sizes

    /** {@inheritDoc} */
    @Override
    public boolean isAutowrapped(FxFunction function) {
        return options.isAutowrapped(function);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray recordFunction(FxFunction function, Object[] args) {
        Node node = addNode(NodeOp.CALL_FUNCTION, function.name(), function.name(), convertAll(args), function, 1);
        return SymbolicValue.create(this, node);
    }

    /** {@inheritDoc} */
    @Override
    public SymValue recordScalar(ScalarOp op, Object[] args) {
        NodeOp kind = op.isMethod() ? NodeOp.CALL_METHOD : NodeOp.CALL_FUNCTION;
        Node node = addNode(kind, op.name(), op.name(), convertAll(args), op, 1);
        return op.result().symbolic(this, node);
    }

    /** {@inheritDoc} */
    @Override
    public String nameOf(Object node) {
        return node instanceof Node ? ((Node) node).qualifiedName() : String.valueOf(node);
    }

    /** Records a method call on a symbolic array and returns its node. */
    Node recordMethod(Node receiver, boolean internal, Method method, Object[] args) {
        List<Object> converted = new ArrayList<>(args.length + 1);
        converted.add(receiver);
        converted.addAll(convertAll(args));
        String name = torchMethodName(method);
        return addNode(NodeOp.CALL_METHOD, name, name, converted, new MethodCall(method, internal), 1);
    }

    /** Maps a Java method name to PyTorch's: camelCase to snake_case, DJL's in-place {@code addi} to {@code add_}. */
    static String torchMethodName(Method method) {
        String n = method.getName();
        if (SymbolicValue.isInPlace(n)) {
            return snake(n.substring(0, n.length() - 1)) + "_";
        }
        return snake(n);
    }

    private static String snake(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0 && !Character.isUpperCase(s.charAt(i - 1))) {
                    b.append('_');
                }
                b.append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Converts a value passed to a recorded call into a node argument: symbolic values become their
     * nodes, concrete sizes their numbers, arrays of the model's state a {@code get_attr} node (never
     * a baked-in copy), and containers {@link ArgContainer}s of converted items.
     */
    Object toArg(Object value) {
        SymbolicValue s = SymbolicValue.of(value);
        if (s != null) {
            checkOwn(s.tracer(), s.node());
            return s.node();
        }
        if (value instanceof SymValue) {
            SymValue v = (SymValue) value;
            if (v.isSymbolic()) {
                checkOwn(v.recorder(), v.node());
                return v.node();
            }
            if (v instanceof SymInt) {
                return ((SymInt) v).value();
            }
            if (v instanceof SymBool) {
                return ((SymBool) v).value();
            }
            return ((SymShape) v).value();
        }
        if (value instanceof NDArray) {
            Parameter state = stateArrays.get(value);
            return state == null ? value : getAttr(state, "parameter");
        }
        if (value instanceof NDList) {
            return new ArgContainer(ArgContainer.Kind.NDLIST, null, convertAll(((NDList) value).toArray()));
        }
        if (value instanceof List) {
            return new ArgContainer(ArgContainer.Kind.LIST, null, convertAll(((List<?>) value).toArray()));
        }
        if (value instanceof Object[] && !(value instanceof Shape[])) {
            Object[] array = (Object[]) value;
            return new ArgContainer(ArgContainer.Kind.ARRAY, array.getClass().getComponentType(), convertAll(array));
        }
        if (value instanceof long[]) {
            return ((long[]) value).clone();
        }
        if (value instanceof int[]) {
            return ((int[]) value).clone();
        }
        if (value instanceof float[]) {
            return ((float[]) value).clone();
        }
        if (value instanceof double[]) {
            return ((double[]) value).clone();
        }
        if (value instanceof Collection || value instanceof Map) {
            throw new TraceException(
                    "Unsupported argument type " + value.getClass().getName() + " at '" + describePath(currentPath)
                            + "'; pass arrays, numbers, NDLists, Lists or arrays of those");
        }
        return value;
    }

    private void checkOwn(Object recorder, Object node) {
        if (recorder != this) {
            throw new TraceException("A symbolic value of another trace (" + node + ") reached '"
                    + describePath(currentPath) + "'; symbolic values must not be kept between traces");
        }
    }

    private List<Object> convertAll(Object[] values) {
        List<Object> out = new ArrayList<>(values.length);
        for (Object o : values) {
            out.add(toArg(o));
        }
        return out;
    }

    // ------------------------------------------------------------------ naming

    private Node addNode(NodeOp op, String baseName, String target, List<Object> args, Object callable, int count) {
        String qualified = namer.qualify(op, currentPath, baseName);
        String name = namer.uniqueName(qualified);
        Node node = new Node(op, name, qualified, target, args, callable, count,
                op == NodeOp.CALL_MODULE ? target : currentPath);
        nodes.add(node);
        return node;
    }

    // ------------------------------------------------------------------ errors and constants

    TraceException unsupported(Node node, String call, String why) {
        return new TraceException(
                "Cannot trace " + describePath(currentPath) + ": it calls " + call + " on the symbolic value of node '"
                        + node.qualifiedName() + "', which " + why + ". Declare the module a leaf"
                        + " (TraceOptions.builder().leafModules(TheModule.class)), move the code into an FxFunction and"
                        + " autowrap it (TraceOptions.builder().autowrapFunctions(fn)), or use the functional ops of"
                        + " org.fx4j.nn.F.");
    }

    private static String describePath(String path) {
        return path.isEmpty() ? "the model's forward" : "module '" + path + "'";
    }

    /**
     * The manager of arrays that traced code creates (constants of the graph). It is closed after the
     * trace if no constant was made; otherwise it lives as long as the graph that uses them.
     */
    NDManager constantManager() {
        if (constants == null) {
            constants = NDManager.newBaseManager();
        }
        return constants;
    }
}
