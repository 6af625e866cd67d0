package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU6;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code MobileNetV2} (structure, names, defaults and initialisation of torchvision
 * 0.14): {@code features} (stem, 17 inverted residuals, 1x1 head), global average pooling,
 * {@code classifier} (dropout, linear).
 */
public final class MobileNetV2 extends Module implements MobileNetFeatures {

    private static final int[][] SETTING = {
        {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}
    };

    private final Sequential features;
    private final Sequential classifier;
    private final java.util.List<Integer> outChannels = new java.util.ArrayList<>();
    private final java.util.List<Boolean> cn = new java.util.ArrayList<>();

    /** Creates MobileNetV2 with 1000 classes, width 1.0 and dropout 0.2. */
    public MobileNetV2() {
        this(1000, 1.0, 0.2f, BatchNorm2d::new);
    }

    /**
     * Creates MobileNetV2.
     *
     * @param numClasses output classes
     * @param widthMult channel multiplier
     * @param dropout classifier dropout
     * @param norm normalisation factory
     */
    public MobileNetV2(int numClasses, double widthMult, float dropout, IntFunction<Block> norm) {
        if (numClasses < 1 || widthMult <= 0) {
            throw new IllegalArgumentException("MobileNetV2 needs numClasses >= 1 and widthMult > 0, got " + numClasses
                    + ", " + widthMult);
        }
        int input = makeDivisible(32 * widthMult, 8);
        int last = makeDivisible(1280 * Math.max(1.0, widthMult), 8);
        Sequential f = new Sequential(new Conv2dNormActivation(3, input, 3, 2, 1, norm, ReLU6::new));
        outChannels.add(input);
        cn.add(false);
        for (int[] s : SETTING) {
            int output = makeDivisible(s[1] * widthMult, 8);
            for (int i = 0; i < s[2]; i++) {
                int stride = i == 0 ? s[3] : 1;
                f.add(new InvertedResidual(input, output, stride, s[0], norm));
                outChannels.add(output);
                cn.add(stride > 1);
                input = output;
            }
        }
        f.add(new Conv2dNormActivation(input, last, 1, 1, 1, norm, ReLU6::new));
        outChannels.add(last);
        cn.add(false);
        features = register("features", f);
        classifier = register("classifier", new Sequential(new Dropout(dropout), new Linear(last, numClasses)));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), true);
        TorchvisionInit.linears(this, Init.normal(0.01f));
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

    /** torchvision's {@code _make_divisible}: round to a multiple of {@code divisor}, not below 90 %. */
    static int makeDivisible(double v, int divisor) {
        int newV = Math.max(divisor, (int) (v + divisor / 2.0) / divisor * divisor);
        if (newV < 0.9 * v) {
            newV += divisor;
        }
        return newV;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "MobileNetV2");
        x = features.call(ctx, x);
        x = F.adaptiveAvgPool2d(x, 1, 1);
        x = F.flatten(x, 1);
        return classifier.call(ctx, x);
    }
}
