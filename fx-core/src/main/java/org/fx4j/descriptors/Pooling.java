package org.fx4j.descriptors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.fx4j.nn.Scalars;

/**
 * Global pooling of a feature map {@code [N, C, H, W]} to one vector per image {@code [N, C]}:
 * average ({@code adaptive_avg_pool2d(x, 1)}), max ({@code adaptive_max_pool2d(x, 1)}) or the
 * generalised mean of Radenović et al. (GeM: {@code mean(clamp(x, min=eps) ^ p) ^ (1 / p)} over each
 * channel, with {@code eps = 1e-6}; p = 1 is the average of the clamped map, large p approaches the
 * max). A {@code [N, C]} input (an already pooled node such as {@code flatten}) passes through.
 *
 * @param kind the pooling
 * @param p GeM's exponent (1 for the others)
 */
public record Pooling(Kind kind, double p) {

    /** GeM's clamp: the map is raised to a real power, so values are kept above zero. */
    public static final double GEM_EPS = 1e-6;

    /** The poolings. */
    public enum Kind {
        /** Average over the positions. */
        AVG,
        /** Maximum over the positions. */
        MAX,
        /** Generalised mean with exponent p. */
        GEM
    }

    /**
     * Checks the exponent.
     *
     * @throws IllegalArgumentException if GeM's p is not a positive finite number
     */
    public Pooling {
        if (kind == null) {
            throw new IllegalArgumentException("a pooling kind is needed: avg, max or gem");
        }
        if (kind == Kind.GEM && !(p > 0 && Double.isFinite(p))) {
            throw new IllegalArgumentException("GeM needs a positive finite exponent p, got " + p);
        }
        if (kind != Kind.GEM) {
            p = 1;
        }
    }

    /** @return average pooling */
    public static Pooling avg() {
        return new Pooling(Kind.AVG, 1);
    }

    /** @return max pooling */
    public static Pooling max() {
        return new Pooling(Kind.MAX, 1);
    }

    /**
     * GeM pooling.
     *
     * @param p the exponent (3 is the usual choice)
     * @return the pooling
     */
    public static Pooling gem(double p) {
        return new Pooling(Kind.GEM, p);
    }

    /**
     * Reads {@code avg}, {@code max}, {@code gem} (p = 3) or {@code gem:P}.
     *
     * @param text the name
     * @return the pooling
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Pooling parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "avg":
            case "mean":
                return avg();
            case "max":
                return max();
            case "gem":
                return gem(3);
            default:
                if (t.startsWith("gem:")) {
                    try {
                        return gem(Double.parseDouble(t.substring(4)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("'" + text + "': GeM's exponent must be a number, as in"
                                + " gem:3", e);
                    }
                }
                throw new IllegalArgumentException("unknown pooling '" + text + "'; use avg, max, gem or gem:P");
        }
    }

    /**
     * Pools a map.
     *
     * @param map {@code [N, C, H, W]} (or {@code [N, C]}, returned as it is), floating
     * @return {@code [N, C]}, in the map's manager
     * @throws IllegalArgumentException for another rank or an empty map
     */
    public NDArray apply(NDArray map) {
        Shape s = map.getShape();
        if (s.dimension() == 2) {
            return map;
        }
        if (s.dimension() != 4) {
            throw new IllegalArgumentException("pooling takes a [N, C, H, W] feature map or [N, C] vectors, got "
                    + s + "; pick a node whose output is a map (a convolution or a stage) or a pooled vector");
        }
        if (!map.getDataType().isFloating()) {
            throw new IllegalArgumentException("pooling takes a floating map, got " + map.getDataType()
                    + "; convert it first (toType(DataType.FLOAT32, false))");
        }
        if (s.get(2) == 0 || s.get(3) == 0) {
            throw new IllegalArgumentException("cannot pool an empty map " + s);
        }
        // DJL's PyTorch engine reduces over one axis at a time: positions as one axis
        try (NDArray flat = map.reshape(s.get(0), s.get(1), s.get(2) * s.get(3))) {
            switch (kind) {
                case AVG:
                    return flat.mean(new int[] {2});
                case MAX:
                    return flat.max(new int[] {2});
                default:
                    try (NDArray eps = Scalars.of(map, GEM_EPS);
                            NDArray exponent = Scalars.of(map, p);
                            NDArray inverse = Scalars.of(map, 1 / p);
                            NDArray clamped = flat.maximum(eps);
                            NDArray powered = clamped.pow(exponent);
                            NDArray mean = powered.mean(new int[] {2})) {
                        return mean.pow(inverse);
                    }
            }
        }
    }

    /** @return {@code avg}, {@code max} or {@code gem:P}, as {@link #parse} reads */
    @Override
    public String toString() {
        return kind == Kind.GEM ? "gem:" + (p == Math.rint(p) ? Long.toString((long) p) : Double.toString(p))
                : kind.name().toLowerCase(Locale.ROOT);
    }
}
