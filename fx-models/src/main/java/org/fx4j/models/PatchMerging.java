package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.LayerNorm;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;

/**
 * torchvision's Swin {@code PatchMerging}: {@code _patch_merging_pad} (2x2 neighbourhoods to
 * channels), {@code norm}, then {@code reduction} from 4C to 2C channels, halving H and W.
 */
public final class PatchMerging extends Module {

    private final LayerNorm norm;
    private final Linear reduction;

    PatchMerging(int dim) {
        reduction = register("reduction", new Linear(4 * dim, 2 * dim, false));
        norm = register("norm", new LayerNorm(4 * dim));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray merged = SwinFunctions.PATCH_MERGING_PAD.apply(x);
        return reduction.call(ctx, norm.call(ctx, merged));
    }
}
