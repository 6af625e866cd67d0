package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.nn.AvgPool2d;
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
 * torchvision's {@code DenseNet} (121/161/169/201; structure, names, defaults and initialisation of
 * torchvision 0.14): {@code features} ({@code conv0, norm0, relu0, pool0, denseblock1, transition1,
 * ..., denseblock4, norm5}), then relu, global average pooling and {@code classifier}.
 */
public final class DenseNet extends Module {

    /** torchvision's {@code _DenseLayer}: concatenates its inputs, then BN-ReLU-1x1 conv, BN-ReLU-3x3 conv. */
    static final class DenseLayer extends Module {
        private final Block norm1;
        private final Block relu1;
        private final Block conv1;
        private final Block norm2;
        private final Block relu2;
        private final Block conv2;
        private final float dropRate;

        DenseLayer(int inputFeatures, int growthRate, int bnSize, float dropRate) {
            norm1 = register("norm1", new BatchNorm2d(inputFeatures));
            relu1 = register("relu1", new ReLU());
            conv1 = register("conv1", Conv2d.builder().setInChannels(inputFeatures).setOutChannels(bnSize * growthRate)
                    .setKernelSize(1).optBias(false).build());
            norm2 = register("norm2", new BatchNorm2d(bnSize * growthRate));
            relu2 = register("relu2", new ReLU());
            conv2 = register("conv2", Conv2d.builder().setInChannels(bnSize * growthRate).setOutChannels(growthRate)
                    .setKernelSize(3).optPadding(1).optBias(false).build());
            this.dropRate = dropRate;
        }

        @Override
        public NDList forward(ForwardContext ctx, NDList previousFeatures) {
            NDArray concatenated = F.cat(previousFeatures, 1);
            NDArray bottleneck = ctx.call(conv1, ctx.call(relu1, ctx.call(norm1, concatenated)));
            NDArray out = ctx.call(conv2, ctx.call(relu2, ctx.call(norm2, bottleneck)));
            if (dropRate > 0) {
                out = F.dropout(out, dropRate, ctx.isTraining());
            }
            return new NDList(out);
        }
    }

    /** torchvision's {@code _DenseBlock}: each layer sees all earlier outputs; returns their concatenation. */
    static final class DenseBlock extends Module {
        private final List<DenseLayer> layers = new ArrayList<>();

        DenseBlock(int numLayers, int inputFeatures, int bnSize, int growthRate, float dropRate) {
            for (int i = 0; i < numLayers; i++) {
                layers.add(register("denselayer" + (i + 1),
                        new DenseLayer(inputFeatures + i * growthRate, growthRate, bnSize, dropRate)));
            }
        }

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray init) {
            List<NDArray> features = new ArrayList<>();
            features.add(init);
            for (DenseLayer layer : layers) {
                features.add(ctx.call(layer, new NDList(features)).singletonOrThrow());
            }
            return F.cat(features, 1);
        }
    }

    private final Sequential features;
    private final Block classifier;

    private DenseNet(int growthRate, int[] blockConfig, int numInitFeatures, int bnSize, float dropRate, int numClasses) {
        Sequential f = new Sequential();
        f.add("conv0", Conv2d.builder().setInChannels(3).setOutChannels(numInitFeatures).setKernelSize(7).optStride(2)
                .optPadding(3).optBias(false).build());
        f.add("norm0", new BatchNorm2d(numInitFeatures));
        f.add("relu0", new ReLU());
        f.add("pool0", new MaxPool2d(3, 2, 1));
        int numFeatures = numInitFeatures;
        for (int i = 0; i < blockConfig.length; i++) {
            f.add("denseblock" + (i + 1), new DenseBlock(blockConfig[i], numFeatures, bnSize, growthRate, dropRate));
            numFeatures += blockConfig[i] * growthRate;
            if (i != blockConfig.length - 1) {
                Sequential transition = new Sequential();
                transition.add("norm", new BatchNorm2d(numFeatures));
                transition.add("relu", new ReLU());
                transition.add("conv", Conv2d.builder().setInChannels(numFeatures).setOutChannels(numFeatures / 2)
                        .setKernelSize(1).optBias(false).build());
                transition.add("pool", new AvgPool2d(2, 2, 0));
                f.add("transition" + (i + 1), transition);
                numFeatures /= 2;
            }
        }
        f.add("norm5", new BatchNorm2d(numFeatures));
        features = register("features", f);
        classifier = register("classifier", new Linear(numFeatures, numClasses));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanIn(), false);
        TorchvisionInit.linears(this, null);
    }

    /**
     * DenseNet-121.
     *
     * @return the model
     */
    public static DenseNet densenet121() {
        return new DenseNet(32, new int[] {6, 12, 24, 16}, 64, 4, 0f, 1000);
    }

    /**
     * DenseNet-161.
     *
     * @return the model
     */
    public static DenseNet densenet161() {
        return new DenseNet(48, new int[] {6, 12, 36, 24}, 96, 4, 0f, 1000);
    }

    /**
     * DenseNet-169.
     *
     * @return the model
     */
    public static DenseNet densenet169() {
        return new DenseNet(32, new int[] {6, 12, 32, 32}, 64, 4, 0f, 1000);
    }

    /**
     * DenseNet-201.
     *
     * @return the model
     */
    public static DenseNet densenet201() {
        return new DenseNet(32, new int[] {6, 12, 48, 32}, 64, 4, 0f, 1000);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "DenseNet");
        NDArray f = features.call(ctx, x);
        NDArray out = F.relu(f);
        out = F.adaptiveAvgPool2d(out, 1, 1);
        out = F.flatten(out, 1);
        return ctx.call(classifier, out);
    }
}
