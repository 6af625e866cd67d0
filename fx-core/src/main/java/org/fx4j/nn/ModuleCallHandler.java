package org.fx4j.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

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
        ForwardContext inner = ctx.enter(child);
        if (child instanceof Module) {
            return ((Module) child).forward(inner, inputs);
        }
        ParameterStore ps = ctx.parameterStore();
        if (ps == null) {
            Device device = inputs.isEmpty() ? null : inputs.head().getDevice();
            for (Parameter p : child.getParameters().values()) {
                if (device != null && p.isInitialized() && !p.getArray().getDevice().equals(device)) {
                    throw onAnotherDevice(child.getClass().getSimpleName() + "'s ", p, device);
                }
            }
            ps = new ParameterStore(inputs.head().getManager(), false);
        }
        return child.forward(ps, inputs, inner.isTraining(), ctx.params());
    }

    /**
     * Reads a parameter's value. Without a DJL parameter store (fx4j's own forward) the parameter's
     * array itself is used, and it must live on the requested device: a model is moved once ({@link
     * Module#toDevice}), never copied per call.
     *
     * @param ctx the calling context
     * @param parameter the parameter
     * @param device the device the value is needed on
     * @return the value
     */
    default NDArray parameterValue(ForwardContext ctx, Parameter parameter, Device device) {
        String owner = ctx.owner() == null ? "" : ctx.owner().getClass().getSimpleName() + "'s ";
        if (!parameter.isInitialized()) {
            throw new IllegalStateException(
                    owner + "parameter '" + parameter.getName()
                            + "' is not initialized. Call model.initialize(manager, DataType.FLOAT32)"
                            + " or load a checkpoint before running the model.");
        }
        if (ctx.parameterStore() != null) {
            return ctx.parameterStore().getValue(parameter, device, ctx.modes() != ForwardContext.Modes.ALL_EVAL);
        }
        NDArray array = parameter.getArray();
        if (device != null && !array.getDevice().equals(device)) {
            throw onAnotherDevice(owner, parameter, device);
        }
        return array;
    }

    /** The error for a parameter that lives on another device than the input that needs it. */
    private static IllegalArgumentException onAnotherDevice(String owner, Parameter parameter, Device device) {
        Device where = parameter.getArray().getDevice();
        return new IllegalArgumentException(owner + "parameter '" + parameter.getName() + "' is on " + where
                + " but the input is on " + device + ". Move the model once with model.toDevice(" + device
                + ") (or move the input to " + where + "); fx4j does not copy weights per call.");
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
