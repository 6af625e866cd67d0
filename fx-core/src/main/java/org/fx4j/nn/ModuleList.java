package org.fx4j.nn;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.List;

/**
 * {@code torch.nn.ModuleList}: children named {@code 0, 1, 2, ...} that its owner calls one by one.
 * It has no forward of its own (as in PyTorch, calling it is an error).
 */
public final class ModuleList extends Module {

    /**
     * Creates a list of blocks.
     *
     * @param blocks the blocks, in order
     */
    public ModuleList(List<? extends Block> blocks) {
        for (Block b : blocks) {
            register(Integer.toString(children.size()), b);
        }
    }

    /**
     * Returns the number of blocks.
     *
     * @return the size
     */
    public int size() {
        return children.size();
    }

    /**
     * Returns a block.
     *
     * @param index its index
     * @return the block
     */
    public Block get(int index) {
        return children.get(index).getValue();
    }

    /**
     * Refuses to run: a module list only holds modules.
     *
     * @throws UnsupportedOperationException always, as PyTorch's {@code ModuleList.forward}
     */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        throw new UnsupportedOperationException("A ModuleList holds modules and has no forward; call its items");
    }
}
