package org.fx4j.nn;

/**
 * A module the tracer records as one {@code call_module} node instead of tracing through, like
 * PyTorch's {@code torch.nn} layers under {@code torch.fx}. fx4j's own layers ({@link Conv2d},
 * {@link BatchNorm2d}, {@link ReLU}, ...) extend it; extend it for your own opaque modules, or pass
 * module classes to {@code TraceOptions.Builder#leafModules}.
 */
public abstract class LeafModule extends Module {

    /** Creates a leaf module. */
    protected LeafModule() {}

    /**
     * Returns how many arrays this module returns; the tracer reads each through a {@code getitem}
     * node when more than one.
     *
     * @return 1 unless overridden
     */
    public int outputCount() {
        return 1;
    }

    /**
     * Returns whether this module's outputs form a dict, as torchvision ops such as the
     * FeaturePyramidNetwork return an {@code OrderedDict}. Then, as under torch.fx, the trace records a
     * {@code getitem} node only for the items the caller reads, and none when the caller returns the
     * whole output; a tuple-like output (the default) records one {@code getitem} per item, as unpacking
     * a tuple does.
     *
     * @return false unless overridden
     */
    public boolean returnsDict() {
        return false;
    }
}
