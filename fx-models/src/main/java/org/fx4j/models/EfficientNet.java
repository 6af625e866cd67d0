package org.fx4j.models;

import ai.djl.nn.Block;
import java.util.function.IntFunction;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.SiLU;
import ai.djl.ndarray.NDArray;

/**
 * torchvision's {@code EfficientNet} B0 to B7 (structure, names, defaults and initialisation of
 * torchvision 0.14): {@code features} (stem, seven stages of {@link MBConv}, 1x1 head), {@code
 * avgpool}, {@code classifier} (dropout, linear). Stochastic depth grows linearly to 0.2 over the
 * blocks.
 */
public final class EfficientNet extends Module {

    /** expand ratio, kernel, stride, input channels, output channels, layers (B0 values). */
    private static final int[][] STAGES = {
        {1, 3, 1, 32, 16, 1},
        {6, 3, 2, 16, 24, 2},
        {6, 5, 2, 24, 40, 2},
        {6, 3, 2, 40, 80, 3},
        {6, 5, 1, 80, 112, 3},
        {6, 5, 2, 112, 192, 4},
        {6, 3, 1, 192, 320, 1},
    };

    private static final float STOCHASTIC_DEPTH = 0.2f;

    private final Sequential features;
    private final Module avgpool;
    private final Sequential classifier;

    private EfficientNet(double widthMult, double depthMult, float dropout, IntFunction<Block> norm) {
        int numClasses = 1000;
        int[][] conf = new int[STAGES.length][];
        int totalBlocks = 0;
        for (int i = 0; i < STAGES.length; i++) {
            int[] s = STAGES[i];
            int layers = (int) Math.ceil(s[5] * depthMult);
            conf[i] = new int[] {s[0], s[1], s[2], MobileNetV2.makeDivisible(s[3] * widthMult, 8),
                MobileNetV2.makeDivisible(s[4] * widthMult, 8), layers};
            totalBlocks += layers;
        }
        Sequential f = new Sequential(new Conv2dNormActivation(3, conf[0][3], 3, 2, 1, norm, SiLU::new));
        int blockId = 0;
        for (int[] c : conf) {
            Sequential stage = new Sequential();
            for (int j = 0; j < c[5]; j++) {
                int in = j == 0 ? c[3] : c[4];
                int stride = j == 0 ? c[2] : 1;
                int expanded = MobileNetV2.makeDivisible(in * (double) c[0], 8);
                float sd = (float) (STOCHASTIC_DEPTH * (double) blockId / totalBlocks);
                stage.add(new MBConv(in, c[4], expanded, c[1], stride, sd, norm));
                blockId++;
            }
            f.add(stage);
        }
        int lastIn = conf[conf.length - 1][4];
        int lastOut = 4 * lastIn;
        f.add(new Conv2dNormActivation(lastIn, lastOut, 1, 1, 1, norm, SiLU::new));
        features = register("features", f);
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        classifier = register("classifier", new Sequential(new Dropout(dropout), new Linear(lastOut, numClasses)));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), true);
        TorchvisionInit.linears(this, Init.uniform((float) (1.0 / Math.sqrt(numClasses))));
    }

    /**
     * EfficientNet-B{@code variant} with torchvision's width, depth, dropout and batch-norm settings.
     *
     * @param variant 0 to 7
     * @return the model
     */
    public static EfficientNet b(int variant) {
        IntFunction<Block> standard = BatchNorm2d::new;
        IntFunction<Block> tf = c -> new BatchNorm2d(c, 0.001f, 0.01f);
        switch (variant) {
            case 0:
                return new EfficientNet(1.0, 1.0, 0.2f, standard);
            case 1:
                return new EfficientNet(1.0, 1.1, 0.2f, standard);
            case 2:
                return new EfficientNet(1.1, 1.2, 0.3f, standard);
            case 3:
                return new EfficientNet(1.2, 1.4, 0.3f, standard);
            case 4:
                return new EfficientNet(1.4, 1.8, 0.4f, standard);
            case 5:
                return new EfficientNet(1.6, 2.2, 0.4f, tf);
            case 6:
                return new EfficientNet(1.8, 2.6, 0.5f, tf);
            case 7:
                return new EfficientNet(2.0, 3.1, 0.5f, tf);
            default:
                throw new IllegalArgumentException("EfficientNet variants are B0 to B7, got B" + variant);
        }
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "EfficientNet");
        x = features.call(ctx, x);
        x = avgpool.call(ctx, x);
        x = F.flatten(x, 1);
        return classifier.call(ctx, x);
    }
}
