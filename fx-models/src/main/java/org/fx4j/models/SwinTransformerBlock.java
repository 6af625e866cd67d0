package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.GELU;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.MLP;
import org.fx4j.nn.Module;
import org.fx4j.nn.StochasticDepth;

/**
 * torchvision's {@code SwinTransformerBlock}: {@code x + stochastic_depth(attn(norm1(x)))}, then
 * {@code x + stochastic_depth(mlp(norm2(x)))} on {@code [B, H, W, C]} arrays.
 */
public final class SwinTransformerBlock extends Module {

    private final LayerNorm norm1;
    private final ShiftedWindowAttention attn;
    private final StochasticDepth stochasticDepth;
    private final LayerNorm norm2;
    private final MLP mlp;

    SwinTransformerBlock(int dim, int numHeads, int[] windowSize, int[] shiftSize, float stochasticDepthProb) {
        norm1 = register("norm1", new LayerNorm(dim));
        attn = register("attn", new ShiftedWindowAttention(dim, windowSize, shiftSize, numHeads, 0f, 0f));
        stochasticDepth = register("stochastic_depth", new StochasticDepth(stochasticDepthProb, "row"));
        norm2 = register("norm2", new LayerNorm(dim));
        mlp = register("mlp", new MLP(dim, new int[] {4 * dim, dim}, GELU::new, 0f));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        x = F.add(x, stochasticDepth.call(ctx, attn.call(ctx, norm1.call(ctx, x))));
        return F.add(x, stochasticDepth.call(ctx, mlp.call(ctx, norm2.call(ctx, x))));
    }
}
