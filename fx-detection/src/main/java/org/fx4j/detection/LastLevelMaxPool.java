package org.fx4j.detection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;

/**
 * torchvision's {@code LastLevelMaxPool}: adds level {@code pool}, {@code max_pool2d(P_last, 1, 2, 0)}
 * (the last pyramid level subsampled by 2), as Faster/Mask R-CNN's backbones do.
 */
public final class LastLevelMaxPool extends ExtraFPNBlock {

    /** Creates the block. */
    public LastLevelMaxPool() {}

    /** {@inheritDoc} */
    @Override
    public List<String> addedNames() {
        return List.of("pool");
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList resultsThenInputs) {
        NDArray last = resultsThenInputs.get(resultsThenInputs.size() / 2 - 1);
        NDArray pool = F.maxPool2d(last, 1, 2, 0);
        pool.setName("pool");
        return new NDList(pool);
    }
}
