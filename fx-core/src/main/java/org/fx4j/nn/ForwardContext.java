package org.fx4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * What a {@link Module}'s forward needs besides its inputs: where parameters are read, which mode
 * each module runs in, and the handler that performs calls into child modules.
 *
 * <p>Modules call their children through {@link #call(Block, NDList)} (or {@link
 * Module#call(ForwardContext, NDArray)}), never through DJL's {@code forward} directly: that call is
 * the single point where the symbolic tracer sees a module boundary. Each call enters the child:
 * the child's forward gets a context whose {@link #isTraining()} is the child's own mode, as in
 * PyTorch, unless the whole pass is an evaluation pass ({@link Modes#ALL_EVAL}).
 */
public final class ForwardContext {

    /** How modules' modes are read in a pass. */
    public enum Modes {
        /** Every module runs in its own mode ({@link Module#isTraining()}), as in PyTorch. */
        OWN,
        /** Every module runs in training mode (a training-mode trace of a model left in eval mode). */
        ALL_TRAINING,
        /** Every module runs in evaluation mode (DJL inference passes, evaluation graphs and traces). */
        ALL_EVAL
    }

    private final ParameterStore parameterStore;
    private final Modes modes;
    private final PairList<String, Object> params;
    private final ModuleCallHandler handler;
    private final Module owner;

    /**
     * Creates a context.
     *
     * @param parameterStore where parameter values are read from; null to read parameters
     *     directly (fx4j's own forward)
     * @param modes how module modes are read
     * @param params DJL's optional per-call parameters (may be null)
     * @param handler performs child-module calls (eager execution or tracing)
     * @param owner the module whose forward runs in this context (null for none)
     */
    public ForwardContext(
            ParameterStore parameterStore,
            Modes modes,
            PairList<String, Object> params,
            ModuleCallHandler handler,
            Module owner) {
        this.parameterStore = parameterStore;
        this.modes = modes;
        this.params = params;
        this.handler = handler;
        this.owner = owner;
    }

    /**
     * Creates the context of fx4j's own eager forward: parameters read directly, every module in
     * its own mode.
     *
     * @param root the module to run
     * @return the context
     */
    public static ForwardContext eager(Module root) {
        Module.noteRootForward();
        return new ForwardContext(null, Modes.OWN, null, ModuleCallHandler.EAGER, root);
    }

    /**
     * Returns whether the module whose forward runs in this context is in training mode for this
     * pass: its own mode, unless the pass forces one.
     *
     * @return true in training mode
     */
    public boolean isTraining() {
        switch (modes) {
            case ALL_EVAL:
                return false;
            case ALL_TRAINING:
                return true;
            case OWN:
            default:
                return owner == null || owner.isTraining();
        }
    }

    /**
     * Returns how module modes are read in this pass.
     *
     * @return the rule
     */
    public Modes modes() {
        return modes;
    }

    /**
     * Returns the module whose forward runs in this context.
     *
     * @return the module, or null
     */
    public Module owner() {
        return owner;
    }

    /**
     * Returns the DJL parameter store of this pass.
     *
     * @return the parameter store, or null when parameters are read directly
     */
    public ParameterStore parameterStore() {
        return parameterStore;
    }

    /**
     * Returns DJL's optional per-call parameters.
     *
     * @return the parameters, possibly null
     */
    public PairList<String, Object> params() {
        return params;
    }

    /**
     * Returns the handler that performs child calls.
     *
     * @return the handler
     */
    public ModuleCallHandler handler() {
        return handler;
    }

    /**
     * Returns the context of a child's forward: the same pass, with the child's mode if it is an fx4j
     * module (a DJL block runs in its caller's mode).
     *
     * @param child the called block
     * @return the child's context
     */
    public ForwardContext enter(Block child) {
        if (!(child instanceof Module) || child == owner) {
            return this;
        }
        return new ForwardContext(parameterStore, modes, params, handler, (Module) child);
    }

    /**
     * Returns this pass with every module in evaluation mode.
     *
     * @return the evaluation context
     */
    public ForwardContext allEval() {
        return modes == Modes.ALL_EVAL ? this : new ForwardContext(parameterStore, Modes.ALL_EVAL, params, handler, owner);
    }

    /**
     * Calls a child block; the tracer records it here.
     *
     * @param child the child block (an fx4j {@link Module} or any DJL block)
     * @param inputs the inputs
     * @return the outputs
     */
    public NDList call(Block child, NDList inputs) {
        return handler.callModule(this, child, inputs);
    }

    /**
     * Calls a single-input, single-output child block.
     *
     * @param child the child block
     * @param x the input
     * @return the output
     */
    public NDArray call(Block child, NDArray x) {
        NDList out = handler.callModule(this, child, new NDList(x));
        if (out.size() != 1) {
            throw new IllegalStateException(
                    child.getClass().getSimpleName() + " returned " + out.size()
                            + " arrays where one was expected; call it with call(block, NDList)");
        }
        return out.get(0);
    }

    /**
     * Reads the value of a parameter (or buffer) of the calling module for this pass. While
     * tracing, this records a {@code get_attr} node.
     *
     * @param parameter the parameter
     * @param device the device the value is needed on
     * @return the value
     */
    public NDArray value(Parameter parameter, Device device) {
        return handler.parameterValue(this, parameter, device);
    }

    /**
     * Reads a buffer as a constant of the graph. While tracing this records a {@code get_attr} node
     * that {@code getGraphNodeNames} does not list and return nodes cannot name, as torch.fx does
     * for a buffer passed to a wrapped function without being read through a module attribute
     * (Swin's {@code relative_position_index}). Otherwise the same as {@link #value}.
     *
     * @param buffer the buffer
     * @param device the device the value is needed on
     * @return the value
     */
    public NDArray constant(Parameter buffer, Device device) {
        return handler.constantValue(this, buffer, device);
    }
}
