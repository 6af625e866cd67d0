package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;

/**
 * torchvision's {@code TwoMLPHead}: the pooled box features flattened, then {@code fc6} and {@code
 * fc7}, each followed by ReLU.
 */
public final class TwoMLPHead extends Module {

    private final Linear fc6;
    private final Linear fc7;

    /**
     * Creates the head.
     *
     * @param inChannels flattened input size (channels x 7 x 7)
     * @param representationSize hidden and output size (1024)
     */
    public TwoMLPHead(int inChannels, int representationSize) {
        fc6 = register("fc6", new Linear(inChannels, representationSize));
        fc7 = register("fc7", new Linear(representationSize, representationSize));
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        NDArray flat = F.flatten(x, 1);
        return F.relu(fc7.call(ctx, F.relu(fc6.call(ctx, flat))));
    }
}
