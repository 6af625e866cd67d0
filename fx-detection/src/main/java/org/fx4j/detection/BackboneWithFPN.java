package org.fx4j.detection;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code BackboneWithFPN}: {@code body}, an {@link IntermediateLayerGetter} of the
 * backbone, then {@code fpn}, a {@link FeaturePyramidNetwork} ({@link LastLevelMaxPool} unless told).
 * Its state-dict keys are torchvision's ({@code body.layer1.0.conv1.weight}, {@code
 * fpn.inner_blocks.0.0.weight}), so a torchvision state dict loads strictly; its output is the
 * pyramid, named {@code 0, 1, ...} then the extra levels.
 */
public final class BackboneWithFPN extends Module implements DetectionBackbone {

    private final IntermediateLayerGetter body;
    private final FeaturePyramidNetwork fpn;
    private final int outChannels;
    private final List<String> featureNames;

    /**
     * Creates the backbone.
     *
     * @param backbone the model whose direct children {@code returnLayers} names
     * @param returnLayers child name to output name ({@code layer1 -> "0"}), in order
     * @param inChannelsList the channels of each returned layer
     * @param outChannels the pyramid's channels
     * @param extraBlocks extra levels; null for {@link LastLevelMaxPool}, as torchvision
     * @param normLayer the pyramid's normalisation, or null for none
     */
    public BackboneWithFPN(Module backbone, Map<String, String> returnLayers, List<Integer> inChannelsList,
            int outChannels, ExtraFPNBlock extraBlocks, IntFunction<Block> normLayer) {
        if (inChannelsList.size() != returnLayers.size()) {
            throw new IllegalArgumentException("BackboneWithFPN: " + returnLayers.size() + " returned layers but "
                    + inChannelsList.size() + " input channel counts");
        }
        body = register("body", new IntermediateLayerGetter(backbone, returnLayers));
        fpn = register("fpn", new FeaturePyramidNetwork(inChannelsList, outChannels,
                extraBlocks == null ? new LastLevelMaxPool() : extraBlocks, normLayer));
        this.outChannels = outChannels;
        List<String> names = new java.util.ArrayList<>(returnLayers.values());
        names.addAll(fpn.extraNames());
        this.featureNames = List.copyOf(names);
    }

    /** The returned layers' names then the pyramid's extra levels ({@code 0, 1, 2, 3, pool}). */
    @Override
    public List<String> featureNames() {
        return featureNames;
    }

    /**
     * Returns the pyramid's channels (torchvision's {@code out_channels} attribute).
     *
     * @return the channels of every level
     */
    @Override
    public int outChannels() {
        return outChannels;
    }

    /**
     * Returns the pyramid.
     *
     * @return the FPN
     */
    public FeaturePyramidNetwork fpn() {
        return fpn;
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        return fpn.call(ctx, body.call(ctx, inputs));
    }
}
