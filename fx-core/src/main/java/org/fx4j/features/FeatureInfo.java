package org.fx4j.features;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.fx4j.fx.Graph;
import org.fx4j.fx.Node;

/**
 * What each output of a feature extractor is: its channels, its reduction (stride) relative to the
 * input, and the module it comes from. Computed by shape propagation on a probe input (and one of
 * half its size, which tells spatial dimensions from channels), never from hand-written tables.
 */
public final class FeatureInfo {

    /** The default probe: one 3-channel 256x256 image (divisible by every usual stride). */
    public static final Shape DEFAULT_PROBE = new Shape(1, 3, 256, 256);

    /** One output. */
    public static final class Entry {
        private final String name;
        private final String node;
        private final String module;
        private final Shape shape;
        private final long channels;
        private final int reduction;
        private final boolean channelsLast;

        Entry(String name, String node, String module, Shape shape, long channels, int reduction, boolean channelsLast) {
            this.channelsLast = channelsLast;
            this.name = name;
            this.node = node;
            this.module = module;
            this.shape = shape;
            this.channels = channels;
            this.reduction = reduction;
        }

        /**
         * Returns the output name.
         *
         * @return the name
         */
        public String name() {
            return name;
        }

        /**
         * Returns the qualified name of the node it comes from.
         *
         * @return the node
         */
        public String node() {
            return node;
        }

        /**
         * Returns the path of the module it comes from.
         *
         * @return the module path
         */
        public String module() {
            return module;
        }

        /**
         * Returns its shape for the probe input.
         *
         * @return the probe shape
         */
        public Shape probeShape() {
            return shape;
        }

        /**
         * Returns whether it is a channels-last {@code [N, H, W, C]} feature map (Swin's stages).
         *
         * @return true for channels-last maps
         */
        public boolean channelsLast() {
            return channelsLast;
        }

        /**
         * Returns its channels: dimension 1 of {@code [N, C, H, W]} and {@code [N, C]} outputs, the last
         * dimension of channels-last maps and of {@code [N, L, C]} token sequences.
         *
         * @return channels
         */
        public long channels() {
            return channels;
        }

        /**
         * Returns its reduction (input height over output height) for feature maps whose size follows
         * the input's, 0 for other outputs (pooled to a fixed size, vectors, token sequences).
         *
         * @return the stride relative to the input
         */
        public int reduction() {
            return reduction;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return name + "(node=" + node + ", module=" + module + ", channels=" + channels + ", reduction=" + reduction
                    + (channelsLast ? ", channels-last" : "")
                    + ")";
        }
    }

    private final List<Entry> entries;

    private FeatureInfo(List<Entry> entries) {
        this.entries = Collections.unmodifiableList(entries);
    }

    /**
     * Computes the feature info of an extractor's evaluation graph with the default probe.
     *
     * @param extractor an extractor of an initialised (or loaded) model
     * @return the info, one entry per output in output order
     */
    public static FeatureInfo of(FeatureExtractor extractor) {
        return of(extractor, DEFAULT_PROBE);
    }

    /**
     * Computes the feature info of an extractor's evaluation graph.
     *
     * @param extractor an extractor of an initialised (or loaded) model
     * @param probe the probe input shape (N, C, H, W); H should be divisible by the largest stride
     * @return the info
     */
    public static FeatureInfo of(FeatureExtractor extractor, Shape probe) {
        Graph graph = extractor.graph(false);
        Map<Node, FeatureLayout> layouts = FeatureLayout.of(graph, probe);
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<String, Node> e : graph.outputNodes().entrySet()) {
            Node n = e.getValue();
            FeatureLayout l = layouts.get(n);
            if (l == null) {
                throw new IllegalStateException("Output '" + e.getKey() + "' (node " + n.qualifiedName()
                        + ") yields several arrays; FeatureInfo describes single-array outputs");
            }
            out.add(new Entry(e.getKey(), n.qualifiedName(), n.modulePath(), l.shape(), l.channels(), l.reduction(),
                    l.channelsLast()));
        }
        return new FeatureInfo(out);
    }

    /**
     * Returns the entries, in output order.
     *
     * @return the entries
     */
    public List<Entry> entries() {
        return entries;
    }

    /**
     * Returns the channels of each output (an FPN's {@code in_channels_list}).
     *
     * @return channels, in output order
     */
    public List<Long> channels() {
        return entries.stream().map(Entry::channels).collect(Collectors.toList());
    }

    /**
     * Returns the reduction of each output.
     *
     * @return reductions, in output order
     */
    public List<Integer> reductions() {
        return entries.stream().map(Entry::reduction).collect(Collectors.toList());
    }

    /**
     * Returns the module of each output.
     *
     * @return module paths, in output order
     */
    public List<String> modules() {
        return entries.stream().map(Entry::module).collect(Collectors.toList());
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FeatureInfo" + entries;
    }
}
