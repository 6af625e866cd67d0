package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.Supplier;

/**
 * torchvision's {@code ops.MLP}: for each hidden size but the last a linear layer, the activation
 * and dropout; then the last linear layer and dropout, numbered {@code 0, 1, 2, ...}. A torchvision
 * op, hence a leaf (so are subclasses such as ViT's {@code MLPBlock}).
 */
public class MLP extends LeafModule {

    /**
     * Creates the MLP.
     *
     * @param in input features
     * @param hidden the sizes of the layers, the last one being the output size
     * @param activation the activation factory
     * @param dropout the dropout probability after each layer
     */
    public MLP(int in, int[] hidden, Supplier<Block> activation, float dropout) {
        if (hidden.length == 0) {
            throw new IllegalArgumentException("MLP needs at least one layer size");
        }
        int index = 0;
        int features = in;
        for (int i = 0; i < hidden.length; i++) {
            register(Integer.toString(index++), new Linear(features, hidden[i]));
            if (i + 1 < hidden.length) {
                register(Integer.toString(index++), activation.get());
            }
            register(Integer.toString(index++), new Dropout(dropout));
            features = hidden[i];
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return callChildrenInOrder(ctx, x);
    }
}
