package org.fx4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;

/**
 * Performs calls into child modules. The eager handler runs them; the symbolic tracer records them.
 */
public interface ModuleCallHandler {

    /** Runs child modules directly. */
    ModuleCallHandler EAGER = new ModuleCallHandler() {};

    /**
     * Calls {@code child} with {@code inputs}.
     *
     * @param ctx the calling context
     * @param child the child block
     * @param inputs its inputs
     * @return its outputs
     */
    default NDList callModule(ForwardContext ctx, Block child, NDList inputs) {
        if (child instanceof Module) {
            return ((Module) child).forward(ctx, inputs);
        }
        return child.forward(ctx.parameterStore(), inputs, ctx.isTraining(), ctx.params());
    }

    /**
     * Reads a parameter's value.
     *
     * @param ctx the calling context
     * @param parameter the parameter
     * @param device the device the value is needed on
     * @return the value
     */
    default NDArray parameterValue(ForwardContext ctx, Parameter parameter, Device device) {
        if (!parameter.isInitialized()) {
            throw new IllegalStateException(
                    "Parameter '"
                            + parameter.getName()
                            + "' is not initialized. Call model.initialize(manager, DataType.FLOAT32)"
                            + " or load a checkpoint before running the model.");
        }
        return ctx.parameterStore().getValue(parameter, device, ctx.isTraining());
    }

    /**
     * Reads a buffer as a constant of the graph; eagerly the same as {@link #parameterValue}.
     *
     * @param ctx the calling context
     * @param parameter the buffer
     * @param device the device the value is needed on
     * @return the value
     */
    default NDArray constantValue(ForwardContext ctx, Parameter parameter, Device device) {
        return parameterValue(ctx, parameter, device);
    }
}
