package org.fx4j.features;

import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fx4j.fx.Graph;
import org.fx4j.fx.Node;
import org.fx4j.fx.ShapePropagation;

/**
 * How a node's output is laid out: channels and reduction, found by propagating the probe and a
 * probe of half its height and width. Dimensions that follow the input size are spatial: {@code
 * [N, C, H, W]} outputs are channels-first, {@code [N, H, W, C]} (Swin) channels-last, {@code [N, L,
 * C]} token sequences have their channels last ({@code [N, C, L]} sequences, whose C stays, second).
 * Models that take one input size only (ViT) get the single-probe reading: 4-d outputs
 * channels-first, 3-d outputs {@code [N, L, C]} tokens.
 */
final class FeatureLayout {

    private final Shape shape;
    private final long channels;
    private final int reduction;
    private final boolean channelsLast;

    private FeatureLayout(Shape shape, long channels, int reduction, boolean channelsLast) {
        this.shape = shape;
        this.channels = channels;
        this.reduction = reduction;
        this.channelsLast = channelsLast;
    }

    /** The output shape for the probe. */
    Shape shape() {
        return shape;
    }

    /** The channel count (the last dimension for channels-last and token outputs). */
    long channels() {
        return channels;
    }

    /** Input height over output height for feature maps whose size follows the input's, else 0. */
    int reduction() {
        return reduction;
    }

    /** Whether the output is a {@code [N, H, W, C]} feature map. */
    boolean channelsLast() {
        return channelsLast;
    }

    /**
     * Lays out every single-array node of a graph.
     *
     * @param graph the graph (of an initialised model)
     * @param probe the probe input shape (N, C, H, W)
     * @return node to layout, in execution order
     */
    static Map<Node, FeatureLayout> of(Graph graph, Shape probe) {
        Map<Node, Shape> full = ShapePropagation.run(graph, probe);
        Map<Node, Shape> half = null;
        if (probe.dimension() == 4 && probe.get(2) % 2 == 0 && probe.get(3) % 2 == 0) {
            try {
                half = ShapePropagation.run(graph, new Shape(probe.get(0), probe.get(1), probe.get(2) / 2, probe.get(3) / 2));
            } catch (RuntimeException e) {
                half = null; // the model takes one input size only (a ViT's _assert): read the probe alone
            }
        }
        Map<Node, FeatureLayout> out = new LinkedHashMap<>();
        for (Map.Entry<Node, Shape> e : full.entrySet()) {
            Shape other = half == null ? null : half.get(e.getKey());
            out.put(e.getKey(), describe(probe, e.getValue(), other));
        }
        return out;
    }

    static FeatureLayout describe(Shape probe, Shape s, Shape half) {
        int rank = s.dimension();
        if (rank == 4) {
            boolean hw = half != null && s.get(1) == half.get(1) && s.get(2) != half.get(2) && s.get(3) != half.get(3);
            boolean nhwc = half != null && s.get(3) == half.get(3) && s.get(1) != half.get(1) && s.get(2) != half.get(2);
            if (nhwc) {
                return new FeatureLayout(s, s.get(3), reductionOf(probe, s.get(1)), true);
            }
            boolean strided = half != null ? hw : s.get(2) > 1 && s.get(3) > 1 && probe.get(2) % s.get(2) == 0
                    && probe.get(3) % s.get(3) == 0;
            return new FeatureLayout(s, s.get(1), strided ? reductionOf(probe, s.get(2)) : 0, false);
        }
        if (rank == 3) {
            boolean channelsSecond = half != null && s.get(1) == half.get(1) && s.get(2) != half.get(2);
            return new FeatureLayout(s, channelsSecond ? s.get(1) : s.get(2), 0, false);
        }
        return new FeatureLayout(s, rank >= 2 ? s.get(1) : rank == 1 ? s.get(0) : 1, 0, false);
    }

    private static int reductionOf(Shape probe, long height) {
        if (probe.dimension() != 4 || height <= 0) {
            return 0;
        }
        return (int) Math.round((double) probe.get(2) / height);
    }
}
