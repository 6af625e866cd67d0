package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.AdaptiveAvgPool2d;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.Dropout;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.MaxPool2d;
import org.fx4j.nn.Module;
import org.fx4j.nn.ReLU;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code VGG} (11/13/16/19, with or without batch norm): {@code features},
 * {@code avgpool} (7x7), {@code classifier}. Build with {@link #vgg(String, boolean)}.
 */
public final class VGG extends Module {

    private static final int M = -1;
    private static final java.util.Map<String, int[]> CONFIGS = java.util.Map.of(
            "A", new int[] {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M},
            "B", new int[] {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M},
            "D", new int[] {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M},
            "E", new int[] {64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M});

    private final Sequential features;
    private final Module avgpool;
    private final Sequential classifier;

    private VGG(Sequential features, int numClasses, float dropout) {
        this.features = register("features", features);
        this.avgpool = register("avgpool", new AdaptiveAvgPool2d(7, 7));
        this.classifier = register("classifier", new Sequential(
                new Linear(512 * 7 * 7, 4096), new ReLU(), new Dropout(dropout),
                new Linear(4096, 4096), new ReLU(), new Dropout(dropout),
                new Linear(4096, numClasses)));
        TorchvisionInit.convolutions(this, Init.kaimingNormalFanOut(), true);
        TorchvisionInit.linears(this, Init.normal(0.01f));
    }

    /**
     * Creates a VGG of torchvision's configuration A (11), B (13), D (16) or E (19).
     *
     * @param config "A", "B", "D" or "E"
     * @param batchNorm whether each convolution is followed by batch norm
     * @return the model (1000 classes, dropout 0.5)
     */
    public static VGG vgg(String config, boolean batchNorm) {
        int[] cfg = CONFIGS.get(config);
        if (cfg == null) {
            throw new IllegalArgumentException("Unknown VGG configuration '" + config + "'; use A, B, D or E");
        }
        Sequential layers = new Sequential();
        int in = 3;
        for (int v : cfg) {
            if (v == M) {
                layers.add(new MaxPool2d(2, 2, 0));
            } else {
                layers.add(Conv2d.builder().setInChannels(in).setOutChannels(v).setKernelSize(3).optPadding(1).build());
                if (batchNorm) {
                    layers.add(new BatchNorm2d(v));
                }
                layers.add(new ReLU());
                in = v;
            }
        }
        return new VGG(layers, 1000, 0.5f);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "VGG");
        x = features.call(ctx, x);
        x = avgpool.call(ctx, x);
        x = F.flatten(x, 1);
        return classifier.call(ctx, x);
    }
}
