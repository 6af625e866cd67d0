package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.SymBool;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.SymShape;

/**
 * torchvision's ViT {@code Encoder}: adds the learned {@code pos_embedding}, then {@code dropout},
 * the {@code layers} ({@code encoder_layer_0 ...}, {@link EncoderBlock}s) and a final {@code ln}.
 */
public final class TransformerEncoder extends Module {

    private final Parameter posEmbedding;
    private final Dropout dropout;
    private final Sequential layers;
    private final LayerNorm ln;

    TransformerEncoder(int seqLength, int numLayers, int numHeads, int hiddenDim, int mlpDim, float dropoutP,
            float attentionDropout) {
        posEmbedding = registerParameter("pos_embedding", new Shape(1, seqLength, hiddenDim), Init.normal(0.02f));
        dropout = register("dropout", new Dropout(dropoutP));
        Sequential blocks = new Sequential();
        for (int i = 0; i < numLayers; i++) {
            blocks.add("encoder_layer_" + i, new EncoderBlock(numHeads, hiddenDim, mlpDim, dropoutP, attentionDropout));
        }
        layers = register("layers", blocks);
        ln = register("ln", new LayerNorm(hiddenDim, 1e-6f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray input) {
        SymInt rank = SymInt.dim(input);
        SymBool threeD = rank.eq(3);
        SymShape.of(input); // torchvision's message reads input.shape: a getattr node nothing uses (pruned)
        threeD.check("Expected (batch_size, seq_length, hidden_dim), got an array with %d dimensions", rank);
        NDArray x = F.add(input, ctx.value(posEmbedding, input.getDevice()));
        x = dropout.call(ctx, x);
        x = layers.call(ctx, x);
        return ln.call(ctx, x);
    }
}
