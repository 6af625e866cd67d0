package org.fx4j.features;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.FxFunction;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Linear;
import org.fx4j.nn.MaxPool2d;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;

/** Small models mirroring those of torchvision's feature-extraction tests. */
final class TestModels {

    private TestModels() {}

    /** torchvision's {@code TestSubModule}: two adds and two relus. */
    static final class SubModule extends Module {
        private final ReLU relu = register("relu", new ReLU());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            x = F.add(x, 1);
            x = F.add(x, 1);
            x = relu.call(ctx, x);
            return relu.call(ctx, x);
        }
    }

    /** torchvision's {@code TestModule}: a submodule, then two adds and two relus. */
    static final class NamingModel extends Module {
        private final SubModule submodule = register("submodule", new SubModule());
        private final ReLU relu = register("relu", new ReLU());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            x = submodule.call(ctx, x);
            x = F.add(x, 1);
            x = F.add(x, 1);
            x = relu.call(ctx, x);
            return relu.call(ctx, x);
        }
    }

    /** torchvision's train/eval test model: dropout(p=1), then add in train or mul in eval. */
    static final class TrainEvalModel extends Module {
        private final Dropout dropout = register("dropout", new Dropout(1f));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            x = x.mean();
            x = dropout.call(ctx, x);
            if (ctx.isTraining()) {
                x = F.add(x, 10);
            } else {
                x = F.mul(x, 0);
            }
            return F.sub(x, 0);
        }
    }

    /** A module whose forward reads its input's shape: untraceable unless declared a leaf. */
    static final class ShapeReader extends Module {
        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            long n = x.getShape().get(0);
            NDArray flat = x.reshape(n, -1);
            return F.relu(flat);
        }
    }

    /** Reads data: untraceable unless autowrapped. */
    static final FxFunction CLAMP_TO_MEAN = FxFunction.of("clamp_to_mean", args -> {
        NDArray x = (NDArray) args[0];
        float mean = x.mean().getFloat();
        return x.minimum(mean);
    });

    /** Uses {@link ShapeReader} and {@link #CLAMP_TO_MEAN} after a convolution. */
    static final class LeafAndAutowrapModel extends Module {
        private final Conv2d conv = register("conv", Conv2d.builder().setInChannels(3).setOutChannels(4).setKernelSize(3).build());
        private final ShapeReader reader = register("reader", new ShapeReader());

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            x = conv.call(ctx, x);
            x = CLAMP_TO_MEAN.apply(x);
            return reader.call(ctx, x);
        }
    }

    /** A residual block: conv-bn-relu-conv-bn, shortcut add, relu. */
    static final class Block extends Module {
        private final Conv2d conv1;
        private final BatchNorm2d bn1;
        private final ReLU relu = new ReLU();
        private final Conv2d conv2;
        private final BatchNorm2d bn2;

        Block(int c) {
            conv1 = register("conv1", Conv2d.builder().setInChannels(c).setOutChannels(c).setKernelSize(3).optPadding(1).optBias(false).build());
            bn1 = register("bn1", new BatchNorm2d(c));
            register("relu", relu);
            conv2 = register("conv2", Conv2d.builder().setInChannels(c).setOutChannels(c).setKernelSize(3).optPadding(1).optBias(false).build());
            bn2 = register("bn2", new BatchNorm2d(c));
        }

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray out = relu.call(ctx, bn1.call(ctx, conv1.call(ctx, x)));
            out = bn2.call(ctx, conv2.call(ctx, out));
            return relu.call(ctx, F.add(out, x));
        }
    }

    /** A small classifier: stem, two stages, pooling, flatten, fc. */
    static final class SmallNet extends Module {
        private final Conv2d conv1 = register("conv1", Conv2d.builder().setInChannels(3).setOutChannels(8).setKernelSize(3).optStride(2).optPadding(1).build());
        private final BatchNorm2d bn1 = register("bn1", new BatchNorm2d(8));
        private final ReLU relu = register("relu", new ReLU());
        private final MaxPool2d maxpool = register("maxpool", new MaxPool2d(3, 2, 1));
        private final Sequential layer1 = register("layer1", new Sequential(new Block(8), new Block(8)));
        private final Sequential layer2 = register("layer2", new Sequential(new Block(8)));
        private final AdaptiveAvgPool2d avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        private final Linear fc = register("fc", new Linear(8, 5));

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            x = maxpool.call(ctx, relu.call(ctx, bn1.call(ctx, conv1.call(ctx, x))));
            x = layer1.call(ctx, x);
            x = layer2.call(ctx, x);
            x = F.flatten(avgpool.call(ctx, x), 1);
            return fc.call(ctx, x);
        }

        /** Runs the model eagerly and returns the stem, layer1 and layer2 outputs as well as the logits. */
        NDArray[] eagerIntermediates(ForwardContext ctx, NDArray x) {
            NDArray stem = maxpool.call(ctx, relu.call(ctx, bn1.call(ctx, conv1.call(ctx, x))));
            NDArray l1 = layer1.call(ctx, stem);
            NDArray l2 = layer2.call(ctx, l1);
            NDArray logits = fc.call(ctx, F.flatten(avgpool.call(ctx, l2), 1));
            return new NDArray[] {stem, l1, l2, logits};
        }
    }
}
