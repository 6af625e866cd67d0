package org.fx4j.models;

import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Module;

/** What {@link BasicBlock} and {@link Bottleneck} share: their expansion and their conv helpers. */
abstract class ResidualBlock extends Module {

    /** torchvision's {@code conv3x3}: 3x3 convolution with padding = dilation, no bias. */
    static Conv2d conv3x3(int in, int out, int stride, int groups, int dilation) {
        return Conv2d.builder()
                .setInChannels(in)
                .setOutChannels(out)
                .setKernelSize(3)
                .optStride(stride)
                .optPadding(dilation)
                .optGroups(groups)
                .optDilation(dilation)
                .optBias(false)
                .build();
    }

    /** torchvision's {@code conv1x1}: 1x1 convolution, no bias. */
    static Conv2d conv1x1(int in, int out, int stride) {
        return Conv2d.builder().setInChannels(in).setOutChannels(out).setKernelSize(1).optStride(stride).optBias(false).build();
    }

    /** Creates a block: torchvision's {@code block(inplanes, planes, stride, downsample, ...)} call. */
    @FunctionalInterface
    interface Constructor {
        ResidualBlock create(
                int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth, int dilation,
                IntFunction<Block> norm);
    }

    /** A residual block type: its channel expansion and its constructor. */
    static final class Factory {
        private final int expansion;
        private final Constructor constructor;

        Factory(int expansion, Constructor constructor) {
            this.expansion = expansion;
            this.constructor = constructor;
        }

        int expansion() {
            return expansion;
        }

        ResidualBlock create(
                int inplanes, int planes, int stride, Block downsample, int groups, int baseWidth, int dilation,
                IntFunction<Block> norm) {
            return constructor.create(inplanes, planes, stride, downsample, groups, baseWidth, dilation, norm);
        }
    }

    /** Sets the last batch-norm's weight initialiser to zero ({@code zero_init_residual}). */
    abstract void zeroInitLastNorm();
}
