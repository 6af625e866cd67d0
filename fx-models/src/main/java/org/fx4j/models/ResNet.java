package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.MaxPool2d;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code ResNet} with its module structure, parameter names, defaults and
 * initialisation: {@code conv1, bn1, relu, maxpool, layer1..layer4, avgpool, fc}. Build variants
 * with {@link ResNets} ({@code ResNets.resnet50()}) or with {@link #builder()}.
 */
public final class ResNet extends Module {

    private final Module conv1;
    private final Block bn1;
    private final Module relu;
    private final Module maxpool;
    private final Sequential layer1;
    private final Sequential layer2;
    private final Sequential layer3;
    private final Sequential layer4;
    private final Module avgpool;
    private final Module fc;
    private final int featureChannels;

    private int inplanes = 64;
    private int dilation = 1;

    private ResNet(Builder b) {
        IntFunction<Block> norm = b.normLayer;
        conv1 = register("conv1", Conv2d.builder().setInChannels(3).setOutChannels(64).setKernelSize(7)
                .optStride(2).optPadding(3).optBias(false).build());
        bn1 = register("bn1", norm.apply(64));
        relu = register("relu", new ReLU());
        maxpool = register("maxpool", new MaxPool2d(3, 2, 1));
        boolean[] dilate = b.replaceStrideWithDilation;
        layer1 = register("layer1", makeLayer(b, 64, b.layers[0], 1, false));
        layer2 = register("layer2", makeLayer(b, 128, b.layers[1], 2, dilate[0]));
        layer3 = register("layer3", makeLayer(b, 256, b.layers[2], 2, dilate[1]));
        layer4 = register("layer4", makeLayer(b, 512, b.layers[3], 2, dilate[2]));
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        featureChannels = 512 * b.block.expansion();
        fc = register("fc", new Linear(featureChannels, b.numClasses));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), false);
        if (b.zeroInitResidual) {
            for (Block m : namedModules().values()) {
                if (m instanceof ResidualBlock) {
                    ((ResidualBlock) m).zeroInitLastNorm();
                }
            }
        }
    }

    private Sequential makeLayer(Builder b, int planes, int blocks, int stride, boolean dilate) {
        ResidualBlock.Factory block = b.block;
        int previousDilation = dilation;
        if (dilate) {
            dilation *= stride;
            stride = 1;
        }
        Block downsample = null;
        if (stride != 1 || inplanes != planes * block.expansion()) {
            downsample = new Sequential(
                    ResidualBlock.conv1x1(inplanes, planes * block.expansion(), stride),
                    b.normLayer.apply(planes * block.expansion()));
        }
        List<Block> layers = new ArrayList<>();
        layers.add(block.create(inplanes, planes, stride, downsample, b.groups, b.widthPerGroup, previousDilation, b.normLayer));
        inplanes = planes * block.expansion();
        for (int i = 1; i < blocks; i++) {
            layers.add(block.create(inplanes, planes, 1, null, b.groups, b.widthPerGroup, dilation, b.normLayer));
        }
        return new Sequential(layers);
    }

    /**
     * Returns a builder; {@code setBlock} and {@code setLayers} are required.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the number of channels entering {@code fc} (512 times the block expansion).
     *
     * @return the channels of layer4's output
     */
    public int featureChannels() {
        return featureChannels;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "ResNet");
        x = conv1.call(ctx, x);
        x = ctx.call(bn1, x);
        x = relu.call(ctx, x);
        x = maxpool.call(ctx, x);
        x = layer1.call(ctx, x);
        x = layer2.call(ctx, x);
        x = layer3.call(ctx, x);
        x = layer4.call(ctx, x);
        x = avgpool.call(ctx, x);
        x = F.flatten(x, 1);
        return fc.call(ctx, x);
    }

    /** Builds a {@link ResNet} with torchvision's constructor arguments and defaults. */
    public static final class Builder {
        private ResidualBlock.Factory block;
        private int[] layers;
        private int numClasses = 1000;
        private boolean zeroInitResidual;
        private int groups = 1;
        private int widthPerGroup = 64;
        private boolean[] replaceStrideWithDilation = {false, false, false};
        private IntFunction<Block> normLayer = BatchNorm2d::new;

        private Builder() {}

        /**
         * Uses {@link BasicBlock}s (ResNet-18/34).
         *
         * @return this builder
         */
        public Builder setBasicBlock() {
            block = BasicBlock.FACTORY;
            return this;
        }

        /**
         * Uses {@link Bottleneck}s (ResNet-50 and deeper).
         *
         * @return this builder
         */
        public Builder setBottleneck() {
            block = Bottleneck.FACTORY;
            return this;
        }

        /**
         * Sets the number of blocks of layer1..layer4.
         *
         * @param counts four block counts
         * @return this builder
         */
        public Builder setLayers(int... counts) {
            layers = counts.clone();
            return this;
        }

        /**
         * Sets the number of classes of {@code fc} (default 1000).
         *
         * @param n classes
         * @return this builder
         */
        public Builder optNumClasses(int n) {
            numClasses = n;
            return this;
        }

        /**
         * Zero-initialises the last norm of every residual branch (default false).
         *
         * @param v flag
         * @return this builder
         */
        public Builder optZeroInitResidual(boolean v) {
            zeroInitResidual = v;
            return this;
        }

        /**
         * Sets the convolution groups of bottlenecks (ResNeXt; default 1).
         *
         * @param v groups
         * @return this builder
         */
        public Builder optGroups(int v) {
            groups = v;
            return this;
        }

        /**
         * Sets the width per group (default 64; 128 for Wide ResNet).
         *
         * @param v width per group
         * @return this builder
         */
        public Builder optWidthPerGroup(int v) {
            widthPerGroup = v;
            return this;
        }

        /**
         * Replaces the stride of layer2..layer4 with dilation.
         *
         * @param layer2 for layer2
         * @param layer3 for layer3
         * @param layer4 for layer4
         * @return this builder
         */
        public Builder optReplaceStrideWithDilation(boolean layer2, boolean layer3, boolean layer4) {
            replaceStrideWithDilation = new boolean[] {layer2, layer3, layer4};
            return this;
        }

        /**
         * Sets the normalisation layer factory (channels to block; default {@code BatchNorm2d::new},
         * {@code FrozenBatchNorm2d::new} for detection backbones).
         *
         * @param factory the factory
         * @return this builder
         */
        public Builder optNormLayer(IntFunction<Block> factory) {
            normLayer = factory;
            return this;
        }

        /**
         * Validates and builds (parameters are created by {@code initialize}).
         *
         * @return the model
         */
        public ResNet build() {
            if (block == null) {
                throw new IllegalArgumentException("ResNet needs a block type: call setBasicBlock() or setBottleneck()");
            }
            if (layers == null || layers.length != 4 || Arrays.stream(layers).anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException(
                        "ResNet needs four positive block counts, got " + Arrays.toString(layers));
            }
            if (numClasses < 1 || groups < 1 || widthPerGroup < 1 || normLayer == null) {
                throw new IllegalArgumentException(
                        "ResNet needs numClasses, groups and widthPerGroup >= 1 and a norm layer; got numClasses="
                                + numClasses + ", groups=" + groups + ", widthPerGroup=" + widthPerGroup);
            }
            return new ResNet(this);
        }
    }
}
