package org.fx4j.models;

import java.util.ArrayList;
import java.util.List;
import org.fx4j.nn.Sequential;

/**
 * The {@code features} of a MobileNet as torchvision's detection backbones read them: each block's
 * output channels ({@code out_channels}) and whether it is an inverted residual that lowers the
 * resolution ({@code _is_cn}, stride > 1), from which {@link #stageIndices()} follows.
 */
public interface MobileNetFeatures {

    /**
     * Returns the feature blocks ({@code model.features}).
     *
     * @return the sequence
     */
    Sequential features();

    /**
     * Returns the output channels of feature block {@code index}.
     *
     * @param index the block's index in {@link #features()}
     * @return its {@code out_channels}
     */
    int outChannels(int index);

    /**
     * Returns whether feature block {@code index} is an inverted residual of stride > 1 (torchvision's
     * {@code _is_cn}).
     *
     * @param index the block's index in {@link #features()}
     * @return true for a resolution-changing block
     */
    boolean isCn(int index);

    /**
     * Returns torchvision's stage indices: {@code [0] + [i for i, b in enumerate(features) if b._is_cn]
     * + [len(features) - 1]}.
     *
     * @return the indices
     */
    default List<Integer> stageIndices() {
        List<Integer> out = new ArrayList<>();
        out.add(0);
        int n = features().size();
        for (int i = 0; i < n; i++) {
            if (isCn(i)) {
                out.add(i);
            }
        }
        out.add(n - 1);
        return out;
    }
}
