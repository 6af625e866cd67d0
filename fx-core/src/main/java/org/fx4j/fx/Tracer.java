package org.fx4j.fx;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.util.Pair;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.LeafModule;
import org.fx4j.nn.Module;
import org.fx4j.nn.ModuleCallHandler;

/**
 * Symbolic tracer: runs a model's forward on symbolic arrays and records a {@link Graph}.
 *
 * <p>Leaf modules (fx4j's {@link LeafModule}s, declared leaf classes, and DJL blocks other than
 * {@link SequentialBlock}, {@link ParallelBlock} and {@link LambdaBlock}) become one {@code
 * call_module} node; other modules are traced through. Node qualified names follow torchvision's
 * {@code NodePathTracer}: the module path, plus the op name for non-module nodes, with {@code _N}
 * suffixes counted among nodes of the same name. A {@link LambdaBlock} whose function cannot be
 * traced (it reads a shape, say) is recorded as a leaf. A tracer traces once.
 */
public final class Tracer implements ModuleCallHandler {

    private static final Pattern TRAILING_INDEX = Pattern.compile(".+_[0-9]+");

    private final TraceOptions options;
    private final List<Node> nodes = new ArrayList<>();
    private final List<String> qualifiedNames = new ArrayList<>();
    private final Set<String> usedNames = new HashSet<>();
    private final Map<Block, String> modulePaths = new IdentityHashMap<>();
    private final Map<Parameter, String> parameterPaths = new IdentityHashMap<>();
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
     * @param training the mode to trace in; fx4j modules are switched to it and back
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
        boolean previousMode = module != null && module.isTraining();
        if (module != null) {
            module.train(training);
        }
        try {
            NDList inputs = new NDList();
            for (String name : inputNames(root)) {
                Node p = addNode(NodeOp.PLACEHOLDER, name, name, List.of(), null, 1);
                inputs.add(SymbolicValue.create(this, p));
            }
            ForwardContext ctx = new ForwardContext(null, training, null, this);
            NDList out = module != null ? module.forward(ctx, inputs) : traceThrough(ctx, root, inputs);
            Map<String, Object> outputs = new LinkedHashMap<>();
            for (int i = 0; i < out.size(); i++) {
                outputs.put(out.size() == 1 ? "output" : "output_" + i, toArg(out.get(i)));
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
            if (module != null) {
                module.train(previousMode);
            }
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
            parameterPaths.putIfAbsent(p.getValue(), join(path, p.getKey()));
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
        String previous = currentPath;
        currentPath = path;
        try {
            if (isLeaf(child)) {
                return recordModule(child, path, inputs);
            }
            if (child instanceof Module) {
                return ((Module) child).forward(ctx, inputs);
            }
            return traceThrough(ctx, child, inputs);
        } finally {
            currentPath = previous;
        }
    }

    private boolean isLeaf(Block block) {
        if (options.isDeclaredLeaf(block) || block instanceof LeafModule) {
            return true;
        }
        if (block instanceof Module) {
            return false;
        }
        return !(block instanceof SequentialBlock || block instanceof ParallelBlock || block instanceof LambdaBlock);
    }

    private NDList traceThrough(ForwardContext ctx, Block block, NDList inputs) {
        if (block instanceof SequentialBlock) {
            SequentialBlock seq = (SequentialBlock) block;
            NDList current = inputs;
            List<NDArray> intermediate = new ArrayList<>();
            for (Block child : seq.getChildren().values()) {
                current = callModule(ctx, child, current);
                intermediate.addAll(current);
            }
            return seq.isReturnIntermediate() ? new NDList(intermediate) : current;
        }
        if (block instanceof ParallelBlock) {
            Function<List<NDList>, NDList> join = readField(block, ParallelBlock.class, "function");
            List<NDList> branches = new ArrayList<>();
            for (Block child : block.getChildren().values()) {
                branches.add(callModule(ctx, child, inputs));
            }
            return join.apply(branches);
        }
        if (block instanceof LambdaBlock) {
            Function<NDList, NDList> lambda = readField(block, LambdaBlock.class, "lambda");
            int mark = nodes.size();
            try {
                return lambda.apply(inputs);
            } catch (TraceException e) {
                // An opaque DJL function that cannot be traced (it reads a shape, say): keep it whole.
                truncate(mark);
                return recordModule(block, modulePaths.get(block), inputs);
            }
        }
        if (block instanceof Module) {
            return ((Module) block).forward(ctx, inputs);
        }
        return recordModule(block, modulePaths.get(block), inputs);
    }

    @SuppressWarnings("unchecked")
    private static <T> T readField(Object target, Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return (T) f.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new TraceException(
                    "Cannot read " + owner.getSimpleName() + "." + name + " to trace it structurally (" + e
                            + "); declare " + owner.getSimpleName() + " a leaf module instead");
        }
    }

    private void truncate(int size) {
        while (nodes.size() > size) {
            Node n = nodes.remove(nodes.size() - 1);
            if (n.isListed()) {
                qualifiedNames.remove(qualifiedNames.size() - 1);
            }
            usedNames.remove(n.name());
        }
    }

    private NDList recordModule(Block block, String path, NDList inputs) {
        List<Object> args = new ArrayList<>(inputs.size());
        for (NDArray a : inputs) {
            args.add(toArg(a));
        }
        int count = block instanceof LeafModule ? ((LeafModule) block).outputCount() : 1;
        Node node = addNode(NodeOp.CALL_MODULE, path, path, args, block, count);
        if (count == 1) {
            return new NDList(SymbolicValue.create(this, node));
        }
        NDList out = new NDList(count);
        for (int i = 0; i < count; i++) {
            Node item = addNode(NodeOp.CALL_FUNCTION, "getitem", "getitem", List.of(node, i), GETITEM, 1);
            out.add(SymbolicValue.create(this, item));
        }
        return out;
    }

    /** Reads one array of a multi-output module's result. */
    static final FxFunction GETITEM =
            FxFunction.atomic("getitem", args -> ((NDList) args[0]).get((Integer) args[1]));

    /** {@inheritDoc} */
    @Override
    public NDArray parameterValue(ForwardContext ctx, Parameter parameter, Device device) {
        String path = ownedPath(parameter, "parameter");
        Node node = addNode(NodeOp.GET_ATTR, path.replace('.', '_'), path, List.of(), parameter, 1);
        return SymbolicValue.create(this, node);
    }

    /** {@inheritDoc} */
    @Override
    public NDArray constantValue(ForwardContext ctx, Parameter parameter, Device device) {
        String path = ownedPath(parameter, "buffer");
        String name = uniqueName(path.replace('.', '_'));
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

    // ------------------------------------------------------------------ functions and methods

    NDArray recordFunction(FxFunction function, Object[] args) {
        List<Object> converted = convertAll(Arrays.asList(args));
        Node node = addNode(NodeOp.CALL_FUNCTION, function.name(), function.name(), converted, function, 1);
        return SymbolicValue.create(this, node);
    }

    SymInt recordSymInt(NodeOp op, SymIntOp function, Object[] args) {
        List<Object> converted = convertAll(Arrays.asList(args));
        Node node = addNode(op, function.name(), function.name(), converted, function, 1);
        return SymInt.symbolic(this, node);
    }

    NDArray recordMethod(Node receiver, boolean internal, Method method, Object[] args) {
        List<Object> converted = new ArrayList<>(args.length + 1);
        converted.add(receiver);
        for (Object a : args) {
            converted.add(toArg(a));
        }
        String name = torchMethodName(method);
        Node node = addNode(NodeOp.CALL_METHOD, name, name, converted, new MethodCall(method, internal), 1);
        return SymbolicValue.create(this, node);
    }

    /** Maps a Java method name to PyTorch's: camelCase to snake_case, DJL's in-place {@code addi} to {@code add_}. */
    static String torchMethodName(Method method) {
        String n = method.getName();
        if (n.length() > 1 && n.endsWith("i") && hasMethod(n.substring(0, n.length() - 1))) {
            return snake(n.substring(0, n.length() - 1)) + "_";
        }
        return snake(n);
    }

    private static boolean hasMethod(String name) {
        for (Method m : NDArray.class.getMethods()) {
            if (m.getName().equals(name)) {
                return true;
            }
        }
        return false;
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

    Object toArg(Object value) {
        SymbolicValue s = SymbolicValue.of(value);
        if (s != null) {
            if (s.tracer() != this) {
                throw new TraceException(
                        "A symbolic value of another trace (" + s.node().qualifiedName() + ") reached '"
                                + describePath(currentPath) + "'; symbolic values must not be kept between traces");
            }
            return s.node();
        }
        if (value instanceof SymInt) {
            SymInt size = (SymInt) value;
            if (!size.isSymbolic()) {
                return size.value();
            }
            if (size.tracer() != this) {
                throw new TraceException(
                        "A symbolic size of another trace (" + size.node().qualifiedName() + ") reached '"
                                + describePath(currentPath) + "'; symbolic values must not be kept between traces");
            }
            return size.node();
        }
        if (value instanceof NDList) {
            return new ArgContainer(ArgContainer.Kind.NDLIST, null, convertAll((NDList) value));
        }
        if (value instanceof List) {
            return new ArgContainer(ArgContainer.Kind.LIST, null, convertAll((List<?>) value));
        }
        if (value instanceof Object[]) {
            Object[] array = (Object[]) value;
            return new ArgContainer(ArgContainer.Kind.ARRAY, array.getClass().getComponentType(), convertAll(List.of(array)));
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

    private List<Object> convertAll(Collection<?> values) {
        List<Object> out = new ArrayList<>(values.size());
        for (Object o : values) {
            out.add(toArg(o));
        }
        return out;
    }

    // ------------------------------------------------------------------ naming

    private Node addNode(NodeOp op, String baseName, String target, List<Object> args, Object callable, int count) {
        String qualified = qualify(op, baseName);
        String name = uniqueName(qualified.replace('.', '_'));
        Node node = new Node(op, name, qualified, target, args, callable, count,
                op == NodeOp.CALL_MODULE ? target : currentPath);
        nodes.add(node);
        qualifiedNames.add(qualified);
        return node;
    }

    /** torchvision's {@code NodePathTracer._get_node_qualname}. */
    private String qualify(NodeOp op, String baseName) {
        String q = currentPath;
        if (op != NodeOp.CALL_MODULE) {
            q = q.isEmpty() ? baseName : q + "." + baseName;
        } else {
            q = baseName;
        }
        if (TRAILING_INDEX.matcher(q).matches()) {
            q = q.substring(0, q.lastIndexOf('_'));
        }
        // torchvision matches rf"{q}(_[0-9]+)?$" with q unescaped, so its dots match any character.
        StringBuilder regex = new StringBuilder();
        for (String part : q.split("\\.", -1)) {
            if (regex.length() > 0) {
                regex.append('.');
            }
            regex.append(Pattern.quote(part));
        }
        Pattern same = Pattern.compile(regex + "(_[0-9]+)?");
        for (int i = qualifiedNames.size() - 1; i >= 0; i--) {
            String existing = qualifiedNames.get(i);
            if (same.matcher(existing).matches()) {
                String postfix = existing.replace(q, "");
                int next = postfix.isEmpty() ? 1 : Integer.parseInt(postfix.substring(1)) + 1;
                return q + "_" + next;
            }
        }
        return q;
    }

    private String uniqueName(String base) {
        String name = base.isEmpty() ? "_" : base;
        if (Character.isDigit(name.charAt(0))) {
            name = "_" + name;
        }
        String candidate = name;
        for (int i = 1; !usedNames.add(candidate); i++) {
            candidate = name + "_" + i;
        }
        return candidate;
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
