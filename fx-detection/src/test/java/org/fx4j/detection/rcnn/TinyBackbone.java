package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.fx4j.detection.DetectionBackbone;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/** A four-level backbone without an FPN pool level, maps named layer1..layer4 (strides 4..32). */
final class TinyBackbone extends Module implements DetectionBackbone {

    static final int CHANNELS = 8;

    private final Conv2d[] convs = new Conv2d[4];

    TinyBackbone() {
        for (int i = 0; i < 4; i++) {
            convs[i] = register("conv" + i, Conv2d.builder().setInChannels(i == 0 ? 3 : CHANNELS)
                    .setOutChannels(CHANNELS).setKernelSize(3).optStride(i == 0 ? 4 : 2).optPadding(1).build());
        }
    }

    @Override
    public int outChannels() {
        return CHANNELS;
    }

    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        NDList out = new NDList();
        NDArray x = inputs.singletonOrThrow();
        for (int i = 0; i < 4; i++) {
            x = F.relu(convs[i].call(ctx, x));
            x.setName("layer" + (i + 1));
            out.add(x);
        }
        return out;
    }
}
