package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import org.fx4j.nn.FxFunction;
import org.fx4j.nn.Scalars;

/**
 * The functions torchvision's Swin Transformer wraps for {@code torch.fx} ({@code torch.fx.wrap}):
 * each is one {@code call_function} node of the traced graph, named as in torchvision.
 */
final class SwinFunctions {

    private SwinFunctions() {}

    /**
     * {@code _patch_merging_pad(x)}: pads an {@code [..., H, W, C]} array to even H and W and
     * concatenates its four 2x2-interleaved quarters into {@code [..., H/2, W/2, 4C]}.
     */
    static final FxFunction PATCH_MERGING_PAD = FxFunction.atomic("_patch_merging_pad", a -> {
        NDArray x = (NDArray) a[0];
        Shape s = x.getShape();
        int rank = s.dimension();
        long h = s.get(rank - 3);
        long w = s.get(rank - 2);
        try (NDScope scope = new NDScope()) {
            NDArray padded = h % 2 == 0 && w % 2 == 0 ? x : x.pad(new Shape(0, 0, 0, w % 2, 0, h % 2), 0);
            NDArray merged = NDArrays.concat(new NDList(
                    padded.get("..., 0::2, 0::2, :"),
                    padded.get("..., 1::2, 0::2, :"),
                    padded.get("..., 0::2, 1::2, :"),
                    padded.get("..., 1::2, 1::2, :")), -1);
            NDScope.unregister(merged);
            return merged;
        }
    });

    /**
     * {@code _get_relative_position_bias(table, index, window_size)}: gathers the per-head bias of
     * every pair of positions in a window, as {@code [1, heads, N, N]} with {@code N = wh * ww}.
     */
    static final FxFunction RELATIVE_POSITION_BIAS = FxFunction.atomic("_get_relative_position_bias", a -> {
        NDArray table = (NDArray) a[0];
        NDArray index = (NDArray) a[1];
        int[] window = (int[]) a[2];
        long n = (long) window[0] * window[1];
        try (NDScope scope = new NDScope()) {
            NDArray bias = table.get(index).reshape(n, n, -1).transpose(2, 0, 1).expandDims(0);
            NDScope.unregister(bias);
            return bias;
        }
    });

    /**
     * {@code shifted_window_attention(x, qkv_weight, proj_weight, relative_position_bias,
     * window_size, num_heads, shift_size, attention_dropout, dropout, qkv_bias, proj_bias,
     * training)} on an {@code [B, H, W, C]} array: pads to whole windows, cyclically shifts, attends
     * within each window with the relative-position bias (and the shift mask), and undoes the shift
     * and the padding.
     */
    static final FxFunction SHIFTED_WINDOW_ATTENTION = FxFunction.atomic("shifted_window_attention", a -> {
        NDArray input = (NDArray) a[0];
        NDArray qkvWeight = (NDArray) a[1];
        NDArray projWeight = (NDArray) a[2];
        NDArray relativeBias = (NDArray) a[3];
        int[] window = (int[]) a[4];
        int heads = (Integer) a[5];
        int[] shift = ((int[]) a[6]).clone();
        float attentionDropout = (Float) a[7];
        float dropout = (Float) a[8];
        NDArray qkvBias = (NDArray) a[9];
        NDArray projBias = (NDArray) a[10];
        boolean training = (Boolean) a[11];
        Shape s = input.getShape();
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("shifted_window_attention expects [B, H, W, C], got " + s);
        }
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        long padR = (window[1] - w % window[1]) % window[1];
        long padB = (window[0] - h % window[0]) % window[0];
        long padH = h + padB;
        long padW = w + padR;
        if (window[0] >= padH) {
            shift[0] = 0;
        }
        if (window[1] >= padW) {
            shift[1] = 0;
        }
        boolean shifted = shift[0] + shift[1] > 0;
        long rows = padH / window[0];
        long cols = padW / window[1];
        long windows = rows * cols;
        long n = (long) window[0] * window[1];
        try (NDScope scope = new NDScope()) {
            NDArray x = padR > 0 || padB > 0 ? input.pad(new Shape(0, 0, 0, padR, 0, padB), 0) : input;
            if (shifted) {
                x = roll(roll(x, -shift[0], 1), -shift[1], 2);
            }
            x = x.reshape(b, rows, window[0], cols, window[1], c).transpose(0, 1, 3, 2, 4, 5).reshape(b * windows, n, c);
            NDArray qkv = x.getNDArrayInternal().linear(x, qkvWeight, qkvBias).singletonOrThrow();
            qkv = qkv.reshape(b * windows, n, 3, heads, c / heads).transpose(2, 0, 3, 1, 4);
            NDArray q = Scalars.mul(qkv.get(0), Math.pow(c / heads, -0.5)); // a double, as in Python: (C // heads) ** -0.5
            NDArray k = qkv.get(1);
            NDArray v = qkv.get(2);
            NDArray attn = q.matMul(k.transpose(0, 1, 3, 2)).add(relativeBias);
            if (shifted) {
                NDArray mask = shiftMask(input.getManager(), padH, padW, window, shift).toDevice(input.getDevice(), false);
                attn = attn.reshape(b, windows, heads, n, n).add(mask.expandDims(1).expandDims(0)).reshape(-1, heads, n, n);
            }
            attn = attn.softmax(-1);
            attn = attn.getNDArrayInternal().dropout(attn, attentionDropout, training).singletonOrThrow();
            x = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b * windows, n, c);
            x = x.getNDArrayInternal().linear(x, projWeight, projBias).singletonOrThrow();
            x = x.getNDArrayInternal().dropout(x, dropout, training).singletonOrThrow();
            x = x.reshape(b, rows, cols, window[0], window[1], c).transpose(0, 1, 3, 2, 4, 5).reshape(b, padH, padW, c);
            if (shifted) {
                x = roll(roll(x, shift[0], 1), shift[1], 2);
            }
            // x[:, :H, :W, :] (a view; DJL's duplicate() would detach the attention from autograd)
            NDArray out = x.get(":, :" + h + ", :" + w + ", :");
            NDScope.unregister(out);
            return out;
        }
    });

    /** {@code torch.roll(x, shift, dim)} by slicing and concatenation. */
    private static NDArray roll(NDArray x, int shift, int dim) {
        long size = x.getShape().get(dim);
        long k = Math.floorMod(shift, size);
        if (k == 0) {
            return x;
        }
        String prefix = ":, ".repeat(dim);
        NDArray tail = x.get(prefix + (size - k) + ":");
        NDArray head = x.get(prefix + ":" + (size - k));
        return tail.concat(head, dim);
    }

    /**
     * The attention mask of shifted windows, {@code [windows, N, N]}: 0 between positions of the same
     * region of the shifted image, -100 between positions of different regions.
     */
    private static NDArray shiftMask(NDManager manager, long padH, long padW, int[] window, int[] shift) {
        long rows = padH / window[0];
        long cols = padW / window[1];
        int n = window[0] * window[1];
        float[] mask = new float[(int) (rows * cols) * n * n];
        int[] region = new int[n];
        int offset = 0;
        for (long r = 0; r < rows; r++) {
            for (long col = 0; col < cols; col++) {
                for (int i = 0; i < n; i++) {
                    long y = r * window[0] + i / window[1];
                    long x = col * window[1] + i % window[1];
                    region[i] = band(y, padH, window[0], shift[0]) * 3 + band(x, padW, window[1], shift[1]);
                }
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        mask[offset++] = region[i] == region[j] ? 0f : -100f;
                    }
                }
            }
        }
        return manager.create(mask, new Shape(rows * cols, n, n));
    }

    /** Which of torchvision's three slices ({@code [0, -window)}, {@code [-window, -shift)}, {@code [-shift, end)}) holds p. */
    private static int band(long p, long size, int window, int shift) {
        if (p < size - window) {
            return 0;
        }
        return p < size - shift ? 1 : 2;
    }
}
