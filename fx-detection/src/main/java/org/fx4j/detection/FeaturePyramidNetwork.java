package org.fx4j.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.LeafModule;
import org.fx4j.nn.Scalars;
import org.fx4j.nn.ModuleList;
import org.fx4j.models.TorchvisionInit;

/**
 * torchvision's {@code ops.FeaturePyramidNetwork} (Lin et al., "Feature Pyramid Network for Object
 * Detection"): a lateral 1x1 convolution per input level ({@code inner_blocks.i.0}), a top-down path
 * that upsamples the coarser merged map to each lateral's size (nearest, libtorch's index rule, so
 * odd sizes such as 13 -> 25 match) and adds it, and a 3x3 output convolution per level ({@code
 * layer_blocks.i.0}); then the optional extra levels of an {@link ExtraFPNBlock}. Convolutions are
 * initialised kaiming-uniform (a=1) with zero bias, as torchvision initialises them.
 *
 * <p>Input: the backbone's feature maps, highest resolution first, each named (an extractor's
 * outputs are). Output: one map of {@code outChannels} per input, named as the input, then the
 * extra levels ({@code pool}; {@code p6, p7}). Like every torchvision op it is one node when traced.
 */
public final class FeaturePyramidNetwork extends LeafModule {

    private final int[] inChannels;
    private final ModuleList innerBlocks;
    private final ModuleList layerBlocks;
    private final ExtraFPNBlock extraBlocks;

    /**
     * Creates the pyramid.
     *
     * @param inChannelsList the channels of each input level, highest resolution first
     * @param outChannels the channels of every output level
     * @param extraBlocks extra levels ({@link LastLevelMaxPool}, {@link LastLevelP6P7}), or null
     * @param normLayer a normalisation after each convolution (channels to block), or null (convolutions then
     *     have a bias)
     */
    public FeaturePyramidNetwork(List<Integer> inChannelsList, int outChannels, ExtraFPNBlock extraBlocks,
            IntFunction<Block> normLayer) {
        if (inChannelsList == null || inChannelsList.isEmpty()) {
            throw new IllegalArgumentException("FeaturePyramidNetwork needs at least one input level");
        }
        if (outChannels < 1) {
            throw new IllegalArgumentException("FeaturePyramidNetwork needs outChannels >= 1, got " + outChannels);
        }
        inChannels = new int[inChannelsList.size()];
        List<Block> inner = new ArrayList<>();
        List<Block> layer = new ArrayList<>();
        for (int i = 0; i < inChannels.length; i++) {
            int in = inChannelsList.get(i);
            if (in <= 0) {
                // torchvision: "in_channels=0 is currently not supported"
                throw new IllegalArgumentException("in_channels=" + in + " (level " + i + ") is not supported");
            }
            inChannels[i] = in;
            inner.add(new Conv2dNormActivation(in, outChannels, 1, 1, 0, 1, 1, normLayer, null, normLayer == null));
            layer.add(new Conv2dNormActivation(outChannels, outChannels, 3, 1, 1, 1, 1, normLayer, null,
                    normLayer == null));
        }
        innerBlocks = register("inner_blocks", new ModuleList(inner));
        layerBlocks = register("layer_blocks", new ModuleList(layer));
        TorchvisionInit.convolutions(this, Init.kaimingUniform(1), true);
        this.extraBlocks = extraBlocks == null ? null : register("extra_blocks", extraBlocks);
    }

    /**
     * Creates the pyramid without normalisation (torchvision's default).
     *
     * @param inChannelsList the channels of each input level, highest resolution first
     * @param outChannels the channels of every output level
     * @param extraBlocks extra levels, or null
     */
    public FeaturePyramidNetwork(List<Integer> inChannelsList, int outChannels, ExtraFPNBlock extraBlocks) {
        this(inChannelsList, outChannels, extraBlocks, null);
    }

    /**
     * Returns the names of the levels beyond the inputs' ({@code [pool]}, {@code [p6, p7]} or none).
     *
     * @return the extra names
     */
    public List<String> extraNames() {
        return extraBlocks == null ? List.of() : extraBlocks.addedNames();
    }

    /** {@inheritDoc} */
    @Override
    public int outputCount() {
        return inChannels.length + extraNames().size();
    }

    /** Its output is a dict, as torchvision's: traced, only the levels a caller reads get a getitem node. */
    @Override
    public boolean returnsDict() {
        return true;
    }

    /** {@inheritDoc} */
    @Override
    public List<String> inputNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inChannels.length; i++) {
            names.add(Integer.toString(i));
        }
        return names;
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList x) {
        int n = inChannels.length;
        if (x.size() != n) {
            throw new IllegalArgumentException("FeaturePyramidNetwork was built for " + n + " input levels, got "
                    + x.size());
        }
        List<String> names = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            NDArray level = x.get(i);
            if (level.getShape().dimension() != 4 || level.getShape().get(1) != inChannels[i]) {
                throw new IllegalArgumentException("FeaturePyramidNetwork level " + i + " ('" + level.getName()
                        + "') has shape " + level.getShape() + "; expected NCHW with " + inChannels[i] + " channels");
            }
            names.add(level.getName());
        }
        if (names.contains(null)) {
            // Unnamed levels (not from a dict): keyed by position, all of them, so that keys stay unique.
            for (int i = 0; i < n; i++) {
                names.set(i, Integer.toString(i));
            }
        } else if (new java.util.HashSet<>(names).size() != n) {
            throw new IllegalArgumentException("FeaturePyramidNetwork levels must have distinct names (they are the"
                    + " keys of its output), got " + names);
        }
        NDArray[] results = new NDArray[n];
        NDArray lastInner = call(innerBlocks, n - 1, ctx, x.get(n - 1));
        results[n - 1] = call(layerBlocks, n - 1, ctx, lastInner);
        for (int i = n - 2; i >= 0; i--) {
            NDArray lateral = call(innerBlocks, i, ctx, x.get(i));
            long[] size = lateral.getShape().getShape();
            NDArray topDown = F.interpolateNearest(lastInner, size[2], size[3]);
            lastInner = F.add(lateral, topDown);
            results[i] = call(layerBlocks, i, ctx, lastInner);
        }
        NDList out = new NDList(n + extraNames().size());
        for (int i = 0; i < n; i++) {
            results[i].setName(names.get(i));
            out.add(results[i]);
        }
        if (extraBlocks != null) {
            NDList resultsThenInputs = new NDList(out);
            resultsThenInputs.addAll(x);
            NDList added = extraBlocks.call(ctx, resultsThenInputs);
            List<String> extra = extraBlocks.addedNames();
            if (added.size() != extra.size()) {
                throw new IllegalStateException(extraBlocks.getClass().getSimpleName() + " returned " + added.size()
                        + " levels, its addedNames() lists " + extra.size());
            }
            for (int i = 0; i < added.size(); i++) {
                NDArray level = added.get(i);
                if (holds(out, level) || holds(x, level)) {
                    // An extra block returned a level or an input: name a copy (x * 1 keeps autograd's graph).
                    level = level.getDataType().isFloating() ? Scalars.mul(level, 1) : level.duplicate();
                }
                level.setName(extra.get(i));
                out.add(level);
            }
        }
        return out;
    }

    private static boolean holds(NDList list, NDArray array) {
        for (NDArray a : list) {
            if (a == array) {
                return true;
            }
        }
        return false;
    }

    private static NDArray call(ModuleList blocks, int i, ForwardContext ctx, NDArray x) {
        return ((Conv2dNormActivation) blocks.get(i)).call(ctx, x);
    }
}
