package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Flatten;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.Permute;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code SwinTransformer} T, S and B (version 1; names, defaults and initialisation of
 * torchvision 0.14): {@code features} (4x4 patch embedding to channels-last, four stages of {@link
 * SwinTransformerBlock}s with alternating window shifts, {@link PatchMerging} between them), {@code
 * norm}, {@code permute} back to NCHW, {@code avgpool}, {@code flatten}, {@code head}. Feature maps
 * inside {@code features} are channels-last ({@code [B, H, W, C]}), as in torchvision.
 */
public final class SwinTransformer extends Module {

    private final Sequential features;
    private final LayerNorm norm;
    private final Permute permute;
    private final AdaptiveAvgPool2d avgpool;
    private final Flatten flatten;
    private final Linear head;

    private SwinTransformer(int embedDim, int[] depths, int[] numHeads, float stochasticDepthProb) {
        int[] window = {7, 7};
        int numClasses = 1000;
        Sequential f = new Sequential(new Sequential(
                Conv2d.builder().setInChannels(3).setOutChannels(embedDim).setKernelSize(4).optStride(4).build(),
                new Permute(0, 2, 3, 1),
                new LayerNorm(embedDim)));
        int total = 0;
        for (int d : depths) {
            total += d;
        }
        int blockId = 0;
        for (int stage = 0; stage < depths.length; stage++) {
            int dim = embedDim << stage;
            Sequential blocks = new Sequential();
            for (int layer = 0; layer < depths[stage]; layer++) {
                int[] shift = layer % 2 == 0 ? new int[] {0, 0} : new int[] {window[0] / 2, window[1] / 2};
                float sd = (float) (stochasticDepthProb * (double) blockId / (total - 1));
                blocks.add(new SwinTransformerBlock(dim, numHeads[stage], window, shift, sd));
                blockId++;
            }
            f.add(blocks);
            if (stage + 1 < depths.length) {
                f.add(new PatchMerging(dim));
            }
        }
        int numFeatures = embedDim << (depths.length - 1);
        features = register("features", f);
        norm = register("norm", new LayerNorm(numFeatures));
        permute = register("permute", new Permute(0, 3, 1, 2));
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        flatten = register("flatten", new Flatten(1, -1));
        head = register("head", new Linear(numFeatures, numClasses));
        TorchvisionInit.linears(this, Init.truncNormal(0.02f));
    }

    /**
     * Swin-T: width 96, depths 2-2-6-2, stochastic depth 0.2.
     *
     * @return the model
     */
    public static SwinTransformer tiny() {
        return new SwinTransformer(96, new int[] {2, 2, 6, 2}, new int[] {3, 6, 12, 24}, 0.2f);
    }

    /**
     * Swin-S: width 96, depths 2-2-18-2, stochastic depth 0.3.
     *
     * @return the model
     */
    public static SwinTransformer small() {
        return new SwinTransformer(96, new int[] {2, 2, 18, 2}, new int[] {3, 6, 12, 24}, 0.3f);
    }

    /**
     * Swin-B: width 128, depths 2-2-18-2, stochastic depth 0.5.
     *
     * @return the model
     */
    public static SwinTransformer base() {
        return new SwinTransformer(128, new int[] {2, 2, 18, 2}, new int[] {4, 8, 16, 32}, 0.5f);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "SwinTransformer");
        x = features.call(ctx, x);
        x = norm.call(ctx, x);
        x = permute.call(ctx, x);
        x = avgpool.call(ctx, x);
        x = flatten.call(ctx, x);
        return head.call(ctx, x);
    }
}
