package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Conv2dNormActivation;
import org.fx4j.nn.Flatten;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code ConvNeXt} tiny, small, base and large (structure, names, defaults and
 * initialisation of torchvision 0.14): {@code features} (4x4 patchify stem, four stages of {@link
 * CNBlock} with {@link LayerNorm2d} + 2x2 convolution downsampling between them), {@code avgpool},
 * {@code classifier} (LayerNorm2d, flatten, linear).
 */
public final class ConvNeXt extends Module {

    private static final double EPS = 1e-6;

    private final Sequential features;
    private final Module avgpool;
    private final Sequential classifier;

    private ConvNeXt(int[] channels, int[] layers, float stochasticDepthProb) {
        int numClasses = 1000;
        Sequential f = new Sequential(new Conv2dNormActivation(3, channels[0], 4, 4, 0, 1, 1,
                c -> new LayerNorm2d(c, EPS), null, true));
        int total = 0;
        for (int n : layers) {
            total += n;
        }
        int blockId = 0;
        for (int s = 0; s < channels.length; s++) {
            Sequential stage = new Sequential();
            for (int j = 0; j < layers[s]; j++) {
                stage.add(new CNBlock(channels[s], 1e-6f, (float) (stochasticDepthProb * blockId / (total - 1.0))));
                blockId++;
            }
            f.add(stage);
            if (s + 1 < channels.length) {
                f.add(new Sequential(new LayerNorm2d(channels[s], EPS), Conv2d.builder().setInChannels(channels[s])
                        .setOutChannels(channels[s + 1]).setKernelSize(2).optStride(2).build()));
            }
        }
        int last = channels[channels.length - 1];
        features = register("features", f);
        avgpool = register("avgpool", new AdaptiveAvgPool2d(1, 1));
        classifier = register("classifier", new Sequential(new LayerNorm2d(last, EPS), new Flatten(1, -1),
                new Linear(last, numClasses)));
        TorchvisionInit.convolutions(this, Init.truncNormal(0.02f), true);
        TorchvisionInit.linears(this, Init.truncNormal(0.02f));
    }

    /**
     * ConvNeXt-Tiny (stochastic depth 0.1).
     *
     * @return the model
     */
    public static ConvNeXt tiny() {
        return new ConvNeXt(new int[] {96, 192, 384, 768}, new int[] {3, 3, 9, 3}, 0.1f);
    }

    /**
     * ConvNeXt-Small (stochastic depth 0.4).
     *
     * @return the model
     */
    public static ConvNeXt small() {
        return new ConvNeXt(new int[] {96, 192, 384, 768}, new int[] {3, 3, 27, 3}, 0.4f);
    }

    /**
     * ConvNeXt-Base (stochastic depth 0.5).
     *
     * @return the model
     */
    public static ConvNeXt base() {
        return new ConvNeXt(new int[] {128, 256, 512, 1024}, new int[] {3, 3, 27, 3}, 0.5f);
    }

    /**
     * ConvNeXt-Large (stochastic depth 0.5).
     *
     * @return the model
     */
    public static ConvNeXt large() {
        return new ConvNeXt(new int[] {192, 384, 768, 1536}, new int[] {3, 3, 27, 3}, 0.5f);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "ConvNeXt");
        x = features.call(ctx, x);
        x = avgpool.call(ctx, x);
        return classifier.call(ctx, x);
    }
}
