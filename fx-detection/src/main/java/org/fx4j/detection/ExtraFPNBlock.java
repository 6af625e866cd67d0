package org.fx4j.detection;

import ai.djl.ndarray.NDList;
import java.util.List;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code ExtraFPNBlock}: levels a {@link FeaturePyramidNetwork} adds after its own.
 * Its forward receives the pyramid's results (one per input level, named as the inputs) followed by
 * the pyramid's inputs, and returns only the levels it adds, each named (an array's name is its key).
 */
public abstract class ExtraFPNBlock extends Module {

    /** Creates the block. */
    protected ExtraFPNBlock() {}

    /**
     * Returns the names of the levels this block adds, in order ({@code pool}; {@code p6, p7}).
     *
     * @return the names
     */
    public abstract List<String> addedNames();

    /**
     * Computes the added levels.
     *
     * @param ctx the forward context
     * @param resultsThenInputs the pyramid's {@code n} results, then its {@code n} inputs
     * @return the added levels, named as {@link #addedNames()}
     */
    @Override
    public abstract NDList forward(ForwardContext ctx, NDList resultsThenInputs);
}
