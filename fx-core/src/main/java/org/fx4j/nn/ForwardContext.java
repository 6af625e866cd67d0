package org.fx4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * What a {@link Module}'s forward needs besides its inputs: the DJL {@link ParameterStore}, the
 * training flag and the handler that performs calls into child modules.
 *
 * <p>Modules call their children through {@link #call(Block, NDList)} (or {@link
 * Module#call(ForwardContext, NDArray)}), never through DJL's {@code forward} directly: that call is
 * the single point where the symbolic tracer sees a module boundary.
 */
public final class ForwardContext {

    private final ParameterStore parameterStore;
    private final boolean training;
    private final PairList<String, Object> params;
    private final ModuleCallHandler handler;

    /**
     * Creates a context.
     *
     * @param parameterStore where parameter values are read from
     * @param training whether this is a training forward pass
     * @param params DJL's optional per-call parameters (may be null)
     * @param handler performs child-module calls (eager execution or tracing)
     */
    public ForwardContext(
            ParameterStore parameterStore,
            boolean training,
            PairList<String, Object> params,
            ModuleCallHandler handler) {
        this.parameterStore = parameterStore;
        this.training = training;
        this.params = params;
        this.handler = handler;
    }

    /**
     * Creates an eager (non-tracing) context.
     *
     * @param parameterStore where parameter values are read from
     * @param training whether this is a training forward pass
     * @return the context
     */
    public static ForwardContext eager(ParameterStore parameterStore, boolean training) {
        return new ForwardContext(parameterStore, training, null, ModuleCallHandler.EAGER);
    }

    /**
     * Returns whether this forward pass runs in training mode.
     *
     * @return true in training mode
     */
    public boolean isTraining() {
        return training;
    }

    /**
     * Returns the DJL parameter store of this pass.
     *
     * @return the parameter store
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
     * Returns a copy of this context with another training flag.
     *
     * @param trainingMode the flag of the new context
     * @return the new context
     */
    public ForwardContext withTraining(boolean trainingMode) {
        return new ForwardContext(parameterStore, trainingMode, params, handler);
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
