package org.fx4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The base of every fx4j model: a DJL {@link AbstractBlock} with PyTorch's naming and mode.
 *
 * <ul>
 *   <li>Children are registered under PyTorch names ({@code conv1}, {@code layer1}, {@code 0}) with
 *       {@link #register(String, Block)}; parameters and buffers keep PyTorch's names ({@code
 *       weight}, {@code running_var}, ...), so {@link #stateDict()} keys match torchvision's.
 *   <li>Subclasses implement {@link #forward(ForwardContext, NDArray)} (one input, one output) or
 *       {@link #forward(ForwardContext, NDList)}, and call children only through {@link
 *       #call(ForwardContext, NDArray)} or {@link ForwardContext#call(Block, NDList)}: that is where
 *       the tracer sees module boundaries.
 *   <li>Every module has PyTorch's train/eval mode ({@link #train()}, {@link #eval()}), per module:
 *       new modules start in training mode, {@code train(mode)} sets a subtree, and a child switched
 *       afterwards keeps its mode. {@link #forward(NDList)} runs every module in its own mode. DJL's
 *       {@code forward(ParameterStore, NDList, boolean, PairList)} does the same when DJL passes
 *       {@code training=true} ({@code Trainer}) and runs everything in evaluation mode when it
 *       passes false ({@code Predictor}).
 *   <li>Threads: evaluation-mode forwards of one model may run concurrently (they only read the
 *       parameters), and tracing never changes a model's modes. Training-mode forwards update state
 *       (batch-norm statistics), so running them concurrently on one model is the caller's business,
 *       as in PyTorch.
 * </ul>
 */
public abstract class Module extends AbstractBlock {

    private static final AtomicLong WEIGHTS_GENERATION = new AtomicLong();

    private static final byte VERSION = 1;

    private final Set<String> bufferNames = new java.util.LinkedHashSet<>();
    private boolean training = true;

    /** Creates an empty module. */
    protected Module() {
        super(VERSION);
    }

    // ------------------------------------------------------------------ registration

    /**
     * Registers a child under a PyTorch-style name.
     *
     * @param name the attribute name in PyTorch ({@code conv1}, {@code 0}); no dots
     * @param child the child block
     * @param <B> the block type
     * @return the child
     */
    protected final <B extends Block> B register(String name, B child) {
        checkName(name);
        if (child == null) {
            throw new IllegalArgumentException("Child '" + name + "' of " + kind() + " is null");
        }
        children.add(name, child);
        return child;
    }

    /**
     * Registers a trainable parameter (its values are created by {@link #initialize}).
     *
     * @param name the PyTorch name ({@code weight}, {@code bias})
     * @param shape its shape
     * @param initializer how {@link #initialize} fills it
     * @return the parameter
     */
    protected final Parameter registerParameter(String name, Shape shape, Initializer initializer) {
        checkName(name);
        Parameter.Type type =
                name.equals("bias") ? Parameter.Type.BIAS : Parameter.Type.WEIGHT;
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(type)
                        .optShape(shape)
                        .optInitializer(initializer)
                        .build());
    }

    /**
     * Registers a buffer: state that is saved and loaded but not trained ({@code running_mean}).
     *
     * @param name the PyTorch name
     * @param shape its shape
     * @param initializer how {@link #initialize} fills it
     * @return the buffer, as a DJL parameter that does not require gradients
     */
    protected final Parameter registerBuffer(String name, Shape shape, Initializer initializer) {
        checkName(name);
        bufferNames.add(name);
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(Parameter.Type.OTHER)
                        .optShape(shape)
                        .optInitializer(initializer)
                        .optRequiresGrad(false)
                        .build());
    }

    /**
     * Registers a child under a dotted module path, for graph modules that keep the modules of
     * another model under their original paths ({@code layer1.0.conv1}).
     *
     * @param path the module path
     * @param child the child
     * @param <B> the block type
     * @return the child
     */
    protected final <B extends Block> B registerPath(String path, B child) {
        if (path == null || path.isEmpty() || children.contains(path)) {
            throw new IllegalArgumentException("Invalid or duplicate module path '" + path + "' in " + kind());
        }
        children.add(path, child);
        return child;
    }

    /**
     * Registers an existing parameter under a dotted path ({@code blocks.0.gamma}), for graph
     * modules that read parameters of modules they do not keep.
     *
     * @param path the parameter path
     * @param parameter the parameter
     */
    protected final void registerParameterPath(String path, Parameter parameter) {
        if (path == null || path.isEmpty() || parameters.containsKey(path)) {
            throw new IllegalArgumentException("Invalid or duplicate parameter path '" + path + "' in " + kind());
        }
        parameters.put(path, parameter);
        if (!parameter.requiresGradient()) {
            bufferNames.add(path);
        }
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(
                    "Invalid name '" + name + "' in " + kind() + ": names must be non-empty and contain no '.'");
        }
        if (children.contains(name) || parameters.containsKey(name)) {
            throw new IllegalArgumentException(
                    "Name '" + name + "' is already used in " + kind() + "; choose another name");
        }
    }

    /**
     * Returns whether the named direct parameter is a buffer.
     *
     * @param name a direct parameter name
     * @return true for buffers such as {@code running_mean}
     */
    public final boolean isBuffer(String name) {
        return bufferNames.contains(name);
    }

    private String kind() {
        return getClass().getSimpleName();
    }

    // ------------------------------------------------------------------ structure

    /**
     * Returns every module below (and including) this one by its PyTorch path; the root is {@code
     * ""}. DJL blocks appear under their DJL child names. A block reachable by two paths is listed
     * once, under the first.
     *
     * @return the modules in registration order
     */
    public final Map<String, Block> namedModules() {
        Map<String, Block> out = new LinkedHashMap<>();
        collectModules(this, "", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collectModules(Block block, String path, Map<String, Block> out, Set<Block> seen) {
        if (!seen.add(block)) {
            return;
        }
        out.put(path, block);
        for (Pair<String, Block> child : block.getChildren()) {
            collectModules(child.getValue(), join(path, child.getKey()), out, seen);
        }
    }

    /**
     * Returns the parameters and buffers below this module keyed as in PyTorch's {@code
     * state_dict()} ({@code layer1.0.bn1.running_var}).
     *
     * @return the state, in PyTorch's order (a module's own entries, then its children's)
     */
    public final Map<String, Parameter> stateDict() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collectState(this, "", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collectState(Block block, String path, Map<String, Parameter> out, Set<Block> seen) {
        if (!seen.add(block)) {
            return;
        }
        for (Pair<String, Parameter> p : block.getDirectParameters()) {
            out.put(join(path, p.getKey()), p.getValue());
        }
        for (Pair<String, Block> child : block.getChildren()) {
            collectState(child.getValue(), join(path, child.getKey()), out, seen);
        }
    }

    /**
     * Returns the trainable parameters below this module (buffers excluded), keyed as in PyTorch's
     * {@code named_parameters()}.
     *
     * @return the parameters
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : stateDict().entrySet()) {
            if (e.getValue().requiresGradient()) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /**
     * Returns the names of this module's forward inputs, used for placeholder nodes when tracing.
     *
     * @return {@code ["x"]} unless overridden
     */
    public List<String> inputNames() {
        return List.of("x");
    }

    // ------------------------------------------------------------------ mode

    /**
     * Returns PyTorch's mode flag of this module.
     *
     * @return true in training mode
     */
    public final boolean isTraining() {
        return training;
    }

    /**
     * A counter that moves whenever weights may have changed in place: at every {@link #train(boolean)},
     * every root forward that records gradients (an optimiser step follows those), every batch-norm
     * pass that updates running statistics, every checkpoint load, and every {@link #weightsChanged()}.
     * Cached results derived from weights (the folded convolutions of an inference graph) are valid only
     * while it has not moved and their parameter arrays are the same. An optimiser stepping while an
     * inference pass of the same weights runs in another thread is not covered: call {@link
     * #weightsChanged()} after such steps.
     *
     * @return the current value
     */
    public static long weightsGeneration() {
        return WEIGHTS_GENERATION.get();
    }

    /**
     * Moves the {@link #weightsGeneration()} counter when a forward may be followed by in-place weight
     * changes (an optimiser step follows a pass that records gradients). Called by root forwards.
     */
    static void noteRootForward() {
        if (JniUtils.isGradMode()) {
            WEIGHTS_GENERATION.incrementAndGet();
        }
    }

    /**
     * Declares that weights were changed in place outside a training pass (an array edited by hand),
     * so that cached folded weights are computed again on the next inference.
     */
    public static void weightsChanged() {
        WEIGHTS_GENERATION.incrementAndGet();
    }

    /**
     * Sets training mode here and in every fx4j module below.
     *
     * @return this module
     */
    public final Module train() {
        return train(true);
    }

    /**
     * Sets the mode here and in every fx4j module below, as PyTorch's {@code module.train(mode)}: a
     * child switched afterwards keeps its own mode (a frozen backbone's batch norms stay in eval
     * inside a training model).
     *
     * @param mode true for training, false for evaluation
     * @return this module
     */
    public final Module train(boolean mode) {
        WEIGHTS_GENERATION.incrementAndGet();
        for (Block block : namedModules().values()) {
            if (block instanceof Module) {
                ((Module) block).setMode(mode);
            }
        }
        return this;
    }

    /**
     * Sets this module's own mode when {@link #train(boolean)} reaches it. Modules that stand for
     * others (a feature extractor sharing a model's modules) extend it to keep those consistent.
     *
     * @param mode true for training
     */
    protected void setMode(boolean mode) {
        this.training = mode;
    }

    /**
     * Sets evaluation mode here and in every fx4j module below.
     *
     * @return this module
     */
    public final Module eval() {
        return train(false);
    }

    /**
     * Moves every parameter and buffer below this module to a device, once: fx4j's own forward reads
     * parameters where they are and refuses inputs on another device rather than copying weights on
     * every call. Each moved array keeps its manager; the old one is closed.
     *
     * @param device the target device
     * @return this module
     */
    public Module toDevice(Device device) {
        for (Parameter p : stateDict().values()) {
            if (!p.isInitialized() || p.getArray().getDevice().equals(device)) {
                continue;
            }
            NDArray old = p.getArray();
            NDArray moved = old.toDevice(device, true);
            moved.attach(old.getManager());
            Initializer original = p.getInitializer();
            p.close();
            p.setInitializer((m, shape, type) -> moved);
            try {
                p.initialize(moved.getManager(), moved.getDataType());
            } finally {
                p.setInitializer(original);
            }
        }
        return this;
    }

    // ------------------------------------------------------------------ forward

    /**
     * Calls this module as a child of the module whose forward runs in {@code ctx}.
     *
     * @param ctx the caller's context
     * @param x the single input
     * @return the single output
     */
    public final NDArray call(ForwardContext ctx, NDArray x) {
        NDList out = ctx.call(this, new NDList(x));
        if (out.size() != 1) {
            throw new IllegalStateException(
                    kind() + " returned " + out.size() + " arrays where one was expected; call it with call(ctx, NDList)");
        }
        return out.get(0);
    }

    /**
     * Calls this module as a child of the module whose forward runs in {@code ctx}.
     *
     * @param ctx the caller's context
     * @param inputs the inputs
     * @return the outputs
     */
    public final NDList call(ForwardContext ctx, NDList inputs) {
        return ctx.call(this, inputs);
    }

    /**
     * The forward computation over a list of inputs. The default unwraps a single input and
     * delegates to {@link #forward(ForwardContext, NDArray)}.
     *
     * @param ctx the context (parameter store, mode, child-call handler)
     * @param inputs the inputs
     * @return the outputs
     */
    public NDList forward(ForwardContext ctx, NDList inputs) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(
                    kind() + " takes one input array, got " + inputs.size());
        }
        return new NDList(forward(ctx, inputs.get(0)));
    }

    /**
     * The forward computation of a single-input, single-output module. Subclasses override this or
     * {@link #forward(ForwardContext, NDList)}.
     *
     * @param ctx the context
     * @param x the input
     * @return the output
     */
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        throw new IllegalStateException(
                kind() + " overrides neither forward(ForwardContext, NDArray) nor forward(ForwardContext, NDList)");
    }

    /**
     * Runs the module in its current mode ({@link #isTraining()}), reading parameters directly.
     *
     * @param inputs the inputs
     * @return the outputs, attached to the inputs' manager
     */
    public NDList forward(NDList inputs) {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException(kind() + ".forward needs at least one input array");
        }
        return forward(ForwardContext.eager(this), inputs);
    }

    /**
     * Runs a single-input, single-output module in its current mode.
     *
     * @param x the input
     * @return the output
     */
    public NDArray forward(NDArray x) {
        NDList out = forward(new NDList(x));
        if (out.size() != 1) {
            throw new IllegalStateException(kind() + " returned " + out.size() + " arrays; use forward(NDList)");
        }
        return out.get(0);
    }

    /** {@inheritDoc} */
    @Override
    protected final NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean trainingPass, PairList<String, Object> params) {
        noteRootForward();
        ForwardContext.Modes modes = trainingPass ? ForwardContext.Modes.OWN : ForwardContext.Modes.ALL_EVAL;
        return forward(new ForwardContext(parameterStore, modes, params, ModuleCallHandler.EAGER, this), inputs);
    }

    // ------------------------------------------------------------------ initialisation

    /**
     * Initialises every parameter and buffer below this module with PyTorch's default
     * initialisation. fx4j modules know their parameter shapes from their constructor arguments,
     * so no input shape is needed; already initialised parameters are kept.
     *
     * @param manager the manager that will own the parameter arrays
     * @param dataType the data type of floating-point parameters
     * @param inputShapes ignored by fx4j modules; passed on to DJL children that need them
     */
    @Override
    public void initialize(NDManager manager, DataType dataType, Shape... inputShapes) {
        beforeInitialize(inputShapes);
        for (Parameter parameter : getDirectParameters().values()) {
            parameter.initialize(manager, dataType);
        }
        for (Pair<String, Block> child : children) {
            Block block = child.getValue();
            if (block instanceof Module) {
                block.initialize(manager, dataType);
            } else if (!block.isInitialized()) {
                throw new IllegalStateException(
                        "Child '" + child.getKey() + "' of " + kind() + " is a DJL "
                                + block.getClass().getSimpleName()
                                + " whose parameter shapes depend on its input shape; initialise it with"
                                + " block.initialize(manager, dataType, inputShape) before initialising "
                                + kind());
            }
        }
    }

    /**
     * Initialises the module with float32 parameters.
     *
     * @param manager the manager that will own the parameter arrays
     * @return this module
     */
    public Module initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32);
        return this;
    }

    /** {@inheritDoc} */
    @Override
    public boolean isInitialized() {
        for (Parameter parameter : getParameters().values()) {
            if (!parameter.isInitialized()) {
                return false;
            }
        }
        return true;
    }

    /**
     * Computes output shapes by running the module on zeros of the given shapes (in evaluation
     * mode, on a temporary manager).
     *
     * @param inputShapes the input shapes
     * @return the output shapes
     */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList inputs = new NDList();
            for (Shape s : inputShapes) {
                inputs.add(manager.zeros(s));
            }
            NDList out = forward(ForwardContext.eager(this).allEval(), inputs);
            return out.getShapes();
        }
    }

    /**
     * Calls every child in registration order, each on the previous one's output: the forward of
     * sequential-style modules ({@code Conv2dNormActivation}, {@code MLP}).
     *
     * @param ctx the context
     * @param x the input
     * @return the last child's output
     */
    protected final NDArray callChildrenInOrder(ForwardContext ctx, NDArray x) {
        NDArray h = x;
        for (Pair<String, Block> child : namedChildren()) {
            h = ctx.call(child.getValue(), h);
        }
        return h;
    }

    /**
     * Returns the direct children with their PyTorch names.
     *
     * @return name/child pairs in registration order
     */
    public final List<Pair<String, Block>> namedChildren() {
        List<Pair<String, Block>> out = new ArrayList<>(children.size());
        for (Pair<String, Block> child : children) {
            out.add(child);
        }
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return kind() + "()";
    }
}
