package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * {@code torch.nn.MultiheadAttention(embed_dim, num_heads, dropout, batch_first=True)} with equal
 * query, key and value sizes: packed {@code in_proj_weight [3E, E]} and {@code in_proj_bias}, and an
 * {@code out_proj} linear layer. Called with {@code (query, key, value)} arrays of shape {@code [N, L,
 * E]} (or one array for self-attention), it returns PyTorch's pair for {@code need_weights=True}: the
 * attention output and the attention weights averaged over heads. torchvision's ViT calls it with
 * {@code need_weights=False}, where the second item is {@code None}; it reads only the first, and a
 * traced graph drops the second.
 */
public final class MultiheadAttention extends LeafModule {

    private final int embedDim;
    private final int numHeads;
    private final float dropout;
    private final Parameter inProjWeight;
    private final Parameter inProjBias;
    private final Linear outProj;

    /**
     * Creates the layer.
     *
     * @param embedDim the model width E
     * @param numHeads the number of heads; must divide E
     * @param dropout dropout on the attention weights in training mode
     */
    public MultiheadAttention(int embedDim, int numHeads, float dropout) {
        if (numHeads <= 0 || embedDim % numHeads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads, got embed_dim=" + embedDim
                    + ", num_heads=" + numHeads);
        }
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.dropout = dropout;
        inProjWeight = registerParameter("in_proj_weight", new Shape(3L * embedDim, embedDim), Init.xavierUniform());
        inProjBias = registerParameter("in_proj_bias", new Shape(3L * embedDim), Init.constant(0f));
        outProj = register("out_proj", new Linear(embedDim, embedDim));
        outProj.getDirectParameters().get("bias").setInitializer(Init.constant(0f));
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        if (inputs.size() != 1 && inputs.size() != 3) {
            throw new IllegalArgumentException(
                    "MultiheadAttention takes (query, key, value) or one array for self-attention, got " + inputs.size());
        }
        NDArray query = inputs.get(0);
        NDArray key = inputs.size() == 3 ? inputs.get(1) : query;
        NDArray value = inputs.size() == 3 ? inputs.get(2) : query;
        for (NDArray a : new NDArray[] {query, key, value}) {
            Shape s = a.getShape();
            if (s.dimension() != 3 || s.get(2) != embedDim) {
                throw new IllegalArgumentException("MultiheadAttention(embed_dim=" + embedDim
                        + ", batch_first=True) expects arrays of shape [N, L, " + embedDim + "], got " + s);
            }
        }
        NDArray w = ctx.value(inProjWeight, query.getDevice());
        NDArray b = ctx.value(inProjBias, query.getDevice());
        long e = embedDim;
        try (NDArray wq = w.get("0:" + e);
                NDArray wk = w.get(e + ":" + 2 * e);
                NDArray wv = w.get(2 * e + ":");
                NDArray bq = b.get("0:" + e);
                NDArray bk = b.get(e + ":" + 2 * e);
                NDArray bv = b.get(2 * e + ":");
                NDArray pq = project(query, wq, bq);
                NDArray pk = project(key, wk, bk);
                NDArray pv = project(value, wv, bv);
                NDArray q = heads(pq);
                NDArray k = heads(pk);
                NDArray v = heads(pv);
                NDArray kt = k.transpose(0, 1, 3, 2);
                NDArray scores = q.matMul(kt);
                NDArray scaled = Scalars.div(scores, (float) Math.sqrt((double) embedDim / numHeads));
                NDArray weights = scaled.softmax(-1);
                NDArray dropped = F.dropout(weights, dropout, ctx.isTraining());
                NDArray attended = dropped.matMul(v);
                NDArray merged = attended.transpose(0, 2, 1, 3);
                NDArray flat = merged.reshape(query.getShape())) {
            return new NDList(ctx.call(outProj, flat), dropped.mean(new int[] {1}));
        }
    }

    /**
     * Two outputs, as PyTorch's {@code (attn_output, attn_weights)}: the attention output and the
     * attention weights averaged over the heads ([N, L, S]); torchvision's ViT reads the first only.
     *
     * @return 2
     */
    @Override
    public int outputCount() {
        return 2;
    }

    private static NDArray project(NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    /** [N, L, E] to [N, H, L, E/H]. */
    private NDArray heads(NDArray x) {
        Shape s = x.getShape();
        try (NDArray split = x.reshape(s.get(0), s.get(1), numHeads, embedDim / numHeads)) {
            return split.transpose(0, 2, 1, 3);
        }
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MultiheadAttention(embed_dim=" + embedDim + ", num_heads=" + numHeads + ", dropout=" + dropout
                + ", batch_first=True)";
    }
}
