package org.fx4j.nn;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.util.Pair;
import java.util.List;

/**
 * {@code torch.nn.Sequential}: children named {@code 0, 1, 2, ...} (or given names), each fed the
 * previous one's output. It is traced through, never a leaf, as in {@code torch.fx}.
 */
public class Sequential extends Module {

    /**
     * Creates a sequence of blocks.
     *
     * @param blocks the blocks, in order
     */
    public Sequential(Block... blocks) {
        for (Block b : blocks) {
            add(b);
        }
    }

    /**
     * Creates a sequence of blocks.
     *
     * @param blocks the blocks, in order
     */
    public Sequential(List<? extends Block> blocks) {
        for (Block b : blocks) {
            add(b);
        }
    }

    /**
     * Appends a block under the next index.
     *
     * @param block the block
     * @return this sequence
     */
    public final Sequential add(Block block) {
        register(Integer.toString(children.size()), block);
        return this;
    }

    /**
     * Appends a block under a name, as {@code nn.Sequential(OrderedDict(...))} or {@code add_module}.
     *
     * @param name the child name ({@code conv0}, {@code denseblock1})
     * @param block the block
     * @return this sequence
     */
    public final Sequential add(String name, Block block) {
        register(name, block);
        return this;
    }

    /**
     * Returns the number of blocks.
     *
     * @return the length
     */
    public final int size() {
        return children.size();
    }

    /**
     * Returns the block at an index.
     *
     * @param index the index
     * @return the block
     */
    public final Block get(int index) {
        return children.get(index).getValue();
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        NDList current = inputs;
        for (Pair<String, Block> child : children) {
            current = ctx.call(child.getValue(), current);
        }
        return current;
    }

    /** torch.nn.Sequential's forward argument is {@code input}: a traced sequence's placeholder is named so. */
    @Override
    public java.util.List<String> inputNames() {
        return java.util.List.of("input");
    }
}
