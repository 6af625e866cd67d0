package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;

/**
 * torchvision's Swin {@code ShiftedWindowAttention}: {@code qkv} and {@code proj} linear layers
 * whose weights are passed to the wrapped {@code shifted_window_attention} function, a learned
 * {@code relative_position_bias_table} and the {@code relative_position_index} buffer.
 */
public final class ShiftedWindowAttention extends Module {

    private final int[] windowSize;
    private final int[] shiftSize;
    private final int numHeads;
    private final float attentionDropout;
    private final float dropout;
    private final Linear qkv;
    private final Linear proj;
    private final Parameter relativePositionBiasTable;
    private final Parameter relativePositionIndex;

    ShiftedWindowAttention(int dim, int[] windowSize, int[] shiftSize, int numHeads, float attentionDropout,
            float dropout) {
        if (windowSize.length != 2 || shiftSize.length != 2) {
            throw new IllegalArgumentException("window_size and shift_size must be of length 2");
        }
        this.windowSize = windowSize.clone();
        this.shiftSize = shiftSize.clone();
        this.numHeads = numHeads;
        this.attentionDropout = attentionDropout;
        this.dropout = dropout;
        qkv = register("qkv", new Linear(dim, dim * 3));
        proj = register("proj", new Linear(dim, dim));
        long entries = (2L * windowSize[0] - 1) * (2L * windowSize[1] - 1);
        relativePositionBiasTable = registerParameter("relative_position_bias_table", new Shape(entries, numHeads),
                Init.truncNormal(0.02f));
        long[] index = relativePositionIndex(windowSize[0], windowSize[1]);
        relativePositionIndex = registerBuffer("relative_position_index", new Shape(index.length),
                (manager, shape, dataType) -> manager.create(index, shape));
    }

    /** For each pair of window positions, the row of the bias table holding their relative offset. */
    static long[] relativePositionIndex(int wh, int ww) {
        int n = wh * ww;
        long[] index = new long[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                long dy = i / ww - j / ww + wh - 1;
                long dx = i % ww - j % ww + ww - 1;
                index[i * n + j] = dy * (2L * ww - 1) + dx;
            }
        }
        return index;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray table = ctx.value(relativePositionBiasTable, x.getDevice());
        NDArray index = ctx.constant(relativePositionIndex, x.getDevice());
        NDArray bias = SwinFunctions.RELATIVE_POSITION_BIAS.apply(table, index, windowSize);
        NDArray qkvWeight = ctx.value(qkv.getDirectParameters().get("weight"), x.getDevice());
        NDArray projWeight = ctx.value(proj.getDirectParameters().get("weight"), x.getDevice());
        NDArray qkvBias = ctx.value(qkv.getDirectParameters().get("bias"), x.getDevice());
        NDArray projBias = ctx.value(proj.getDirectParameters().get("bias"), x.getDevice());
        return SwinFunctions.SHIFTED_WINDOW_ATTENTION.apply(x, qkvWeight, projWeight, bias, windowSize, numHeads,
                shiftSize, attentionDropout, dropout, qkvBias, projBias, ctx.isTraining());
    }
}
