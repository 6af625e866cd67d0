package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.TraceException;

/**
 * Structural tracing of DJL's own containers, so DJL model-zoo models trace: a {@link
 * SequentialBlock} calls its children in order, a {@link ParallelBlock} calls each child and joins
 * their outputs, a {@link LambdaBlock} runs its function on the symbolic values (through its public
 * {@code forward}); a lambda that cannot be traced (it reads a shape) is kept as one leaf node.
 */
final class DjlBlocks {

    private DjlBlocks() {}

    /**
     * Returns whether a DJL block is traced structurally rather than recorded as a leaf.
     *
     * @param block a DJL block that is not an fx4j module
     * @return true for DJL's containers
     */
    static boolean isStructural(Block block) {
        return block instanceof SequentialBlock || block instanceof ParallelBlock || block instanceof LambdaBlock;
    }

    /**
     * Traces through a DJL container.
     *
     * @param tracer the tracer (performs the child calls)
     * @param ctx the context
     * @param block the container
     * @param inputs symbolic inputs
     * @return symbolic outputs
     */
    static NDList traceThrough(Tracer tracer, ForwardContext ctx, Block block, NDList inputs) {
        if (block instanceof SequentialBlock) {
            SequentialBlock seq = (SequentialBlock) block;
            NDList current = inputs;
            List<NDArray> intermediate = new ArrayList<>();
            for (Block child : seq.getChildren().values()) {
                current = tracer.callModule(ctx, child, current);
                intermediate.addAll(current);
            }
            return seq.isReturnIntermediate() ? new NDList(intermediate) : current;
        }
        if (block instanceof ParallelBlock) {
            List<NDList> branches = new ArrayList<>();
            for (Block child : block.getChildren().values()) {
                branches.add(tracer.callModule(ctx, child, inputs));
            }
            return joinFunction((ParallelBlock) block).apply(branches);
        }
        if (block instanceof LambdaBlock) {
            int mark = tracer.mark();
            try {
                // LambdaBlock ignores the mode; false keeps DJL from initialising it on a null store.
                return block.forward(null, inputs, false, ctx.params());
            } catch (TraceException e) {
                tracer.truncate(mark);
                return tracer.recordLeaf(block, tracer.pathOf(block), inputs);
            }
        }
        return tracer.recordLeaf(block, tracer.pathOf(block), inputs);
    }

    /**
     * The function that joins a ParallelBlock's branch outputs. DJL offers no public route to it
     * (its public forward calls the children directly, which the tracer must see), so it is read
     * from the block's private field.
     */
    @SuppressWarnings("unchecked")
    private static Function<List<NDList>, NDList> joinFunction(ParallelBlock block) {
        try {
            Field f = ParallelBlock.class.getDeclaredField("function");
            f.setAccessible(true);
            return (Function<List<NDList>, NDList>) f.get(block);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new TraceException("Cannot read ParallelBlock's join function to trace it structurally (" + e
                    + "); declare ParallelBlock a leaf module instead (TraceOptions.builder().leafModules(ParallelBlock.class))");
        }
    }
}
