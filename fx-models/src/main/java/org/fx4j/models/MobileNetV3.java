package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Hardsigmoid;
import org.fx4j.nn.Hardswish;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.SqueezeExcitation;

/**
 * torchvision's {@code MobileNetV3} large and small (structure, names, defaults and initialisation
 * of torchvision 0.14): {@code features} (stem, inverted residuals with optional squeeze-excitation,
 * 1x1 head), {@code avgpool}, {@code classifier}.
 */
public final class MobileNetV3 extends Module implements MobileNetFeatures {

    /** One bneck row: input, kernel, expanded, output channels, SE, hard-swish, stride, dilation. */
    private static final class Conf {
        final int in;
        final int kernel;
        final int expanded;
        final int out;
        final boolean se;
        final boolean hs;
        final int stride;
        final int dilation;

        Conf(int in, int kernel, int expanded, int out, boolean se, boolean hs, int stride, int dilation) {
            this.in = MobileNetV2.makeDivisible(in, 8);
            this.kernel = kernel;
            this.expanded = MobileNetV2.makeDivisible(expanded, 8);
            this.out = MobileNetV2.makeDivisible(out, 8);
            this.se = se;
            this.hs = hs;
            this.stride = stride;
            this.dilation = dilation;
        }
    }

    /** torchvision's MobileNetV3 {@code InvertedResidual}: expansion, depthwise, SE, projection in {@code block}. */
    static final class Bneck extends Module {
        private final Sequential block;
        private final boolean useResConnect;

        Bneck(Conf c, IntFunction<Block> norm) {
            useResConnect = c.stride == 1 && c.in == c.out;
            Supplier<Block> act = c.hs ? Hardswish::new : ReLU::new;
            Sequential layers = new Sequential();
            if (c.expanded != c.in) {
                layers.add(new Conv2dNormActivation(c.in, c.expanded, 1, 1, 1, norm, act));
            }
            int stride = c.dilation > 1 ? 1 : c.stride;
            layers.add(new Conv2dNormActivation(c.expanded, c.expanded, c.kernel, stride, c.dilation, c.expanded, norm, act));
            if (c.se) {
                int squeeze = MobileNetV2.makeDivisible(c.expanded / 4, 8);
                layers.add(new SqueezeExcitation(c.expanded, squeeze, ReLU::new, Hardsigmoid::new));
            }
            layers.add(new Conv2dNormActivation(c.expanded, c.out, 1, 1, 1, norm, null));
            block = register("block", layers);
        }

        @Override
        protected NDArray forward(ForwardContext ctx, NDArray x) {
            NDArray result = block.call(ctx, x);
            return useResConnect ? F.add(result, x) : result;
        }
    }

    private final Sequential features;
    private final Module avgpool;
    private final Sequential classifier;
    private final java.util.List<Integer> outChannels = new java.util.ArrayList<>();
    private final java.util.List<Boolean> cn = new java.util.ArrayList<>();

    /** torchvision's default normalisation of MobileNetV3: BatchNorm2d(eps=0.001, momentum=0.01). */
    static final IntFunction<Block> DEFAULT_NORM = c -> new BatchNorm2d(c, 0.001f, 0.01f);

    private MobileNetV3(Conf[] setting, int lastChannel, int numClasses, float dropout, IntFunction<Block> norm) {
        Sequential f = new Sequential(new Conv2dNormActivation(3, setting[0].in, 3, 2, 1, norm, Hardswish::new));
        outChannels.add(setting[0].in);
        cn.add(false);
        for (Conf c : setting) {
            f.add(new Bneck(c, norm));
            outChannels.add(c.out);
            cn.add(c.stride > 1);
        }
        int lastIn = setting[setting.length - 1].out;
        int lastOut = 6 * lastIn;
        f.add(new Conv2dNormActivation(lastIn, lastOut, 1, 1, 1, norm, Hardswish::new));
        outChannels.add(lastOut);
        cn.add(false);
        features = register("features", f);
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        classifier = register("classifier", new Sequential(
                new Linear(lastOut, lastChannel), new Hardswish(), new Dropout(dropout), new Linear(lastChannel, numClasses)));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), true);
        TorchvisionInit.linears(this, Init.normal(0.01f));
    }

    /**
     * MobileNetV3-Large (1000 classes, dropout 0.2).
     *
     * @return the model
     */
    public static MobileNetV3 large() {
        return large(DEFAULT_NORM);
    }

    /**
     * MobileNetV3-Large with another normalisation (torchvision's {@code norm_layer}; the detection
     * backbones pass FrozenBatchNorm2d, eps 1e-5).
     *
     * @param norm normalisation factory (channels to block)
     * @return the model
     */
    public static MobileNetV3 large(IntFunction<Block> norm) {
        Conf[] s = {
            new Conf(16, 3, 16, 16, false, false, 1, 1),
            new Conf(16, 3, 64, 24, false, false, 2, 1),
            new Conf(24, 3, 72, 24, false, false, 1, 1),
            new Conf(24, 5, 72, 40, true, false, 2, 1),
            new Conf(40, 5, 120, 40, true, false, 1, 1),
            new Conf(40, 5, 120, 40, true, false, 1, 1),
            new Conf(40, 3, 240, 80, false, true, 2, 1),
            new Conf(80, 3, 200, 80, false, true, 1, 1),
            new Conf(80, 3, 184, 80, false, true, 1, 1),
            new Conf(80, 3, 184, 80, false, true, 1, 1),
            new Conf(80, 3, 480, 112, true, true, 1, 1),
            new Conf(112, 3, 672, 112, true, true, 1, 1),
            new Conf(112, 5, 672, 160, true, true, 2, 1),
            new Conf(160, 5, 960, 160, true, true, 1, 1),
            new Conf(160, 5, 960, 160, true, true, 1, 1),
        };
        return new MobileNetV3(s, MobileNetV2.makeDivisible(1280, 8), 1000, 0.2f, norm);
    }

    /**
     * MobileNetV3-Small (1000 classes, dropout 0.2).
     *
     * @return the model
     */
    public static MobileNetV3 small() {
        return small(DEFAULT_NORM);
    }

    /**
     * MobileNetV3-Small with another normalisation.
     *
     * @param norm normalisation factory (channels to block)
     * @return the model
     */
    public static MobileNetV3 small(IntFunction<Block> norm) {
        Conf[] s = {
            new Conf(16, 3, 16, 16, true, false, 2, 1),
            new Conf(16, 3, 72, 24, false, false, 2, 1),
            new Conf(24, 3, 88, 24, false, false, 1, 1),
            new Conf(24, 5, 96, 40, true, true, 2, 1),
            new Conf(40, 5, 240, 40, true, true, 1, 1),
            new Conf(40, 5, 240, 40, true, true, 1, 1),
            new Conf(40, 5, 120, 48, true, true, 1, 1),
            new Conf(48, 5, 144, 48, true, true, 1, 1),
            new Conf(48, 5, 288, 96, true, true, 2, 1),
            new Conf(96, 5, 576, 96, true, true, 1, 1),
            new Conf(96, 5, 576, 96, true, true, 1, 1),
        };
        return new MobileNetV3(s, MobileNetV2.makeDivisible(1024, 8), 1000, 0.2f, norm);
    }

    /** {@inheritDoc} */
    @Override
    public Sequential features() {
        return features;
    }

    /** {@inheritDoc} */
    @Override
    public int outChannels(int index) {
        return outChannels.get(index);
    }

    /** {@inheritDoc} */
    @Override
    public boolean isCn(int index) {
        return cn.get(index);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "MobileNetV3");
        x = features.call(ctx, x);
        x = avgpool.call(ctx, x);
        x = F.flatten(x, 1);
        return classifier.call(ctx, x);
    }
}
