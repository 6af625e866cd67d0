package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.GELU;
import org.fx4j.nn.Init;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.Linear;
import org.fx4j.nn.MLP;
import org.fx4j.nn.Module;
import org.fx4j.nn.MultiheadAttention;
import org.fx4j.nn.SymBool;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.SymShape;

/**
 * torchvision's ViT {@code EncoderBlock}: pre-norm self-attention ({@code ln_1}, {@code
 * self_attention}, {@code dropout}, residual) then a pre-norm MLP ({@code ln_2}, {@code mlp},
 * residual).
 */
public final class EncoderBlock extends Module {

    private final LayerNorm ln1;
    private final MultiheadAttention selfAttention;
    private final Dropout dropout;
    private final LayerNorm ln2;
    private final MLP mlp;

    EncoderBlock(int numHeads, int hiddenDim, int mlpDim, float dropoutP, float attentionDropout) {
        ln1 = register("ln_1", new LayerNorm(hiddenDim, 1e-6f));
        selfAttention = register("self_attention", new MultiheadAttention(hiddenDim, numHeads, attentionDropout));
        dropout = register("dropout", new Dropout(dropoutP));
        ln2 = register("ln_2", new LayerNorm(hiddenDim, 1e-6f));
        mlp = register("mlp", new MLP(hiddenDim, new int[] {mlpDim, hiddenDim}, GELU::new, dropoutP));
        for (Block m : mlp.getChildren().values()) {
            if (m instanceof Linear) {
                m.getDirectParameters().get("weight").setInitializer(Init.xavierUniform());
                m.getDirectParameters().get("bias").setInitializer(Init.normal(1e-6f));
            }
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray input) {
        SymInt rank = SymInt.dim(input);
        SymBool threeD = rank.eq(3);
        SymShape.of(input); // torchvision's message reads input.shape: a getattr node nothing uses (pruned)
        threeD.check("Expected (batch_size, seq_length, hidden_dim), got an array with %d dimensions", rank);
        NDArray x = ln1.call(ctx, input);
        NDList attention = ctx.call(selfAttention, new NDList(x, x, x));
        x = attention.get(0);
        attention.get(1).close(); // the attention weights, which torchvision's ViT does not ask for
        x = dropout.call(ctx, x);
        x = F.add(x, input);
        NDArray y = ln2.call(ctx, x);
        y = mlp.call(ctx, y);
        return F.add(x, y);
    }
}
