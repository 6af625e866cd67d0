package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * torchvision's {@code ops.MultiScaleRoIAlign}: RoIAlign over the named levels of a feature pyramid,
 * each box pooled from the level the {@link LevelMapper} gives it (canonical scale 224 at level 4).
 * Each level's scale is inferred from its size over the largest image size, rounded to a power of two,
 * on every call (torchvision infers the scales on a pooler's first call and keeps them; the two differ
 * only when a later batch's levels have other ratios, i.e. for images resized to a few dozen pixels).
 * The maps are pooled finest first (by height), whatever the order of {@code featmapNames} or of
 * the given map, as torchvision pools a backbone's maps. It has no parameters (so no state-dict keys), as torchvision's.
 */
public final class MultiScaleRoIAlign {

    private final List<String> featmapNames;
    private final int outH;
    private final int outW;
    private final int samplingRatio;
    private final double canonicalScale;
    private final int canonicalLevel;

    /**
     * Creates the pooler with torchvision's canonical scale (224) and level (4).
     *
     * @param featmapNames the feature maps to pool from, finest first
     * @param outputSize the square output size (7 for boxes, 14 for masks)
     * @param samplingRatio samples per bin along each axis (2 in Faster/Mask R-CNN)
     */
    public MultiScaleRoIAlign(List<String> featmapNames, int outputSize, int samplingRatio) {
        this(featmapNames, outputSize, outputSize, samplingRatio, 224, 4);
    }

    /**
     * Creates the pooler.
     *
     * @param featmapNames the feature maps to pool from, finest first
     * @param outH output height
     * @param outW output width
     * @param samplingRatio samples per bin along each axis
     * @param canonicalScale the box size of the canonical level
     * @param canonicalLevel the canonical level
     */
    public MultiScaleRoIAlign(List<String> featmapNames, int outH, int outW, int samplingRatio,
            double canonicalScale, int canonicalLevel) {
        if (featmapNames == null || featmapNames.isEmpty()) {
            throw new IllegalArgumentException("MultiScaleRoIAlign needs at least one feature map name");
        }
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("MultiScaleRoIAlign needs a positive output size, got " + outH + "x"
                    + outW);
        }
        this.featmapNames = List.copyOf(featmapNames);
        this.outH = outH;
        this.outW = outW;
        this.samplingRatio = samplingRatio;
        this.canonicalScale = canonicalScale;
        this.canonicalLevel = canonicalLevel;
    }

    /**
     * Returns the names of the pooled maps.
     *
     * @return the names, finest first
     */
    public List<String> featmapNames() {
        return featmapNames;
    }

    /**
     * Returns the output height (the box head's resolution).
     *
     * @return the output height
     */
    public int outputHeight() {
        return outH;
    }

    /**
     * Returns the output width.
     *
     * @return the output width
     */
    public int outputWidth() {
        return outW;
    }

    /**
     * Pools every box.
     *
     * @param features the backbone's maps by name (others than {@link #featmapNames()} are ignored)
     * @param boxes one [L_i, 4] array per image, in the (resized) image's pixels
     * @param imageSizes each image's (height, width) before batch padding
     * @return [sum L_i, C, outH, outW], boxes in order, in the first map's manager
     */
    public NDArray pool(Map<String, NDArray> features, List<NDArray> boxes, List<int[]> imageSizes) {
        for (String name : featmapNames) {
            if (!features.containsKey(name)) {
                throw new IllegalArgumentException("MultiScaleRoIAlign pools feature maps " + featmapNames
                        + " but the backbone gave " + features.keySet() + "; name the maps it gives");
            }
        }
        // torchvision's _filter_input keeps the listed maps in the backbone's order, finest first; here the maps
        // are put finest first by height (stable), so neither the names' order nor the map's iteration order
        // (a HashMap, Map.of) can change which level a box goes to.
        List<NDArray> maps = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : features.entrySet()) {
            if (featmapNames.contains(e.getKey())) {
                maps.add(e.getValue());
            }
        }
        maps.sort(java.util.Comparator.comparingLong((NDArray a) -> -a.getShape().get(a.getShape().dimension() - 2)));
        if (boxes.size() != imageSizes.size()) {
            throw new IllegalArgumentException("MultiScaleRoIAlign: boxes for " + boxes.size() + " images, sizes for "
                    + imageSizes.size());
        }
        int maxH = 0;
        int maxW = 0;
        for (int[] s : imageSizes) {
            maxH = Math.max(maxH, s[0]);
            maxW = Math.max(maxW, s[1]);
        }
        double[] scales = new double[maps.size()];
        for (int i = 0; i < maps.size(); i++) {
            scales[i] = inferScale(maps.get(i), maxH, maxW);
        }
        NDArray first = maps.get(0);
        NDManager parent = first.getManager();
        try (NDManager sub = parent.newSubManager(first.getDevice())) {
            // so the level mapper's intermediates stay in this scope (an identity set: equals compares contents)
            java.util.Set<NDArray> attached = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (NDArray b : boxes) {
                if (attached.add(b)) {
                    sub.tempAttachAll(b);
                }
            }
            NDArray rois = BoxOps.toRoiFormat(boxes, sub);
            NDArray out;
            if (maps.size() == 1) {
                out = RoIAlign.roiAlign(first, rois, outH, outW, scales[0], samplingRatio, false);
            } else {
                int kMin = (int) Math.round(-log2(scales[0]));
                int kMax = (int) Math.round(-log2(scales[scales.length - 1]));
                LevelMapper mapper = new LevelMapper(kMin, kMax, canonicalScale, canonicalLevel, 1e-6);
                long[] levels = mapper.levels(boxes).toLongArray();
                // Pool each level's boxes, then put the results back in box order (a gather, differentiable).
                NDList parts = new NDList();
                long[] order = new long[levels.length];
                int filled = 0;
                for (int level = 0; level < maps.size(); level++) {
                    List<Long> idx = new ArrayList<>();
                    for (int i = 0; i < levels.length; i++) {
                        if (levels[i] == level) {
                            idx.add((long) i);
                        }
                    }
                    if (idx.isEmpty()) {
                        continue;
                    }
                    long[] ia = idx.stream().mapToLong(Long::longValue).toArray();
                    NDArray levelRois = BoxOps.select(rois, sub.create(ia));
                    parts.add(RoIAlign.roiAlign(maps.get(level), levelRois, outH, outW, scales[level], samplingRatio,
                            false));
                    for (long i : ia) {
                        order[(int) i] = filled++;
                    }
                }
                if (parts.isEmpty()) {
                    out = RoIAlign.roiAlign(first, rois, outH, outW, scales[0], samplingRatio, false);
                } else {
                    NDArray all = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
                    out = BoxOps.select(all, sub.create(order)); // the backward pass keeps the order (owned)
                }
            }
            out.attach(parent);
            return out;
        }
    }

    /** torchvision's {@code _infer_scale}: 2^round(log2(map size / image size)), in float32. */
    private static double inferScale(NDArray map, int maxH, int maxW) {
        long h = map.getShape().get(map.getShape().dimension() - 2);
        float approx = (float) ((double) h / maxH);
        return Math.pow(2, Math.rint(log2(approx)));
    }

    private static double log2(double v) {
        return Math.log(v) / Math.log(2);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "MultiScaleRoIAlign(featmap_names=" + featmapNames + ", output_size=(" + outH + ", " + outW
                + "), sampling_ratio=" + samplingRatio + ")";
    }
}
