package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * torchvision's {@code AnchorGenerator}: per feature map, cell anchors of each size and aspect ratio
 * ({@code w = size / sqrt(r)}, {@code h = size * sqrt(r)}, centred at 0, rounded half to even, in
 * float32 as torchvision), shifted over the map's grid by its stride (padded image size // map size).
 * Anchors are ordered by location (row-major), then aspect ratio, then size. It has no parameters.
 */
public final class AnchorGenerator {

    private final List<List<Integer>> sizes;
    private final List<List<Double>> aspectRatios;
    private final List<float[]> cellAnchors = new ArrayList<>();

    /**
     * Creates the generator: one entry per feature map in both lists.
     *
     * @param sizes anchor sizes per feature map ({@code ((32,), (64,), ...)})
     * @param aspectRatios height/width ratios per feature map ({@code ((0.5, 1.0, 2.0),) * 5})
     */
    public AnchorGenerator(List<List<Integer>> sizes, List<List<Double>> aspectRatios) {
        if (sizes == null || aspectRatios == null || sizes.isEmpty() || sizes.size() != aspectRatios.size()) {
            throw new IllegalArgumentException("AnchorGenerator needs one list of sizes and one of aspect ratios per"
                    + " feature map, got " + sizes + " and " + aspectRatios);
        }
        List<List<Integer>> s = new ArrayList<>();
        List<List<Double>> r = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            if (sizes.get(i).isEmpty() || aspectRatios.get(i).isEmpty()) {
                throw new IllegalArgumentException("AnchorGenerator: feature map " + i + " has no sizes or no ratios");
            }
            for (double ratio : aspectRatios.get(i)) {
                if (!(ratio > 0) || Double.isInfinite(ratio)) {
                    throw new IllegalArgumentException("AnchorGenerator: aspect ratios must be positive, got " + ratio);
                }
            }
            s.add(List.copyOf(sizes.get(i)));
            r.add(List.copyOf(aspectRatios.get(i)));
            cellAnchors.add(generate(sizes.get(i), aspectRatios.get(i)));
        }
        this.sizes = List.copyOf(s);
        this.aspectRatios = List.copyOf(r);
    }

    /**
     * torchvision's default for a 5-level FPN: sizes 32..512, one per level, ratios 0.5, 1, 2.
     *
     * @return the generator
     */
    public static AnchorGenerator fpnDefault() {
        return perLevel(5);
    }

    /**
     * One size per level, {@code 32 * 2^i}, with ratios 0.5, 1, 2: torchvision's default for 5
     * levels, extended to any count.
     *
     * @param levels the number of feature maps
     * @return the generator
     */
    public static AnchorGenerator perLevel(int levels) {
        List<List<Integer>> sizes = new ArrayList<>();
        List<List<Double>> ratios = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            sizes.add(List.of(32 << i));
            ratios.add(List.of(0.5, 1.0, 2.0));
        }
        return new AnchorGenerator(sizes, ratios);
    }

    private static float[] generate(List<Integer> scales, List<Double> ratios) {
        float[] out = new float[scales.size() * ratios.size() * 4];
        int k = 0;
        for (double ratio : ratios) {
            float hRatio = (float) Math.sqrt((float) ratio);
            float wRatio = 1f / hRatio;
            for (int scale : scales) {
                float ws = wRatio * scale;
                float hs = hRatio * scale;
                out[k++] = (float) Math.rint(-ws / 2f);
                out[k++] = (float) Math.rint(-hs / 2f);
                out[k++] = (float) Math.rint(ws / 2f);
                out[k++] = (float) Math.rint(hs / 2f);
            }
        }
        return out;
    }

    /**
     * Returns the anchors per location of each feature map.
     *
     * @return sizes x ratios per map
     */
    public List<Integer> numAnchorsPerLocation() {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            out.add(sizes.get(i).size() * aspectRatios.get(i).size());
        }
        return out;
    }

    /**
     * Returns the number of feature maps this generator is built for.
     *
     * @return the count
     */
    public int numFeatureMaps() {
        return sizes.size();
    }

    /**
     * Returns the sizes per feature map.
     *
     * @return the sizes
     */
    public List<List<Integer>> sizes() {
        return sizes;
    }

    /**
     * Returns the cell anchors of one feature map ([A, 4], centred at 0).
     *
     * @param level the feature map
     * @return x1, y1, x2, y2 per anchor
     */
    public float[] cellAnchors(int level) {
        return cellAnchors.get(level).clone();
    }

    /**
     * Anchors over every feature map, for each image of the batch.
     *
     * @param images the batch (its padded size gives the strides)
     * @param featureMaps the maps, in the order of this generator's sizes
     * @param manager owns the result
     * @return the anchors [sum H_i W_i A_i, 4] in the maps' type; the same for every image
     */
    public NDArray anchors(ImageList images, List<NDArray> featureMaps, NDManager manager) {
        if (featureMaps.size() != sizes.size()) {
            throw new IllegalArgumentException("AnchorGenerator has sizes for " + sizes.size() + " feature maps but "
                    + featureMaps.size() + " were given; there must be one entry of sizes and aspect ratios per"
                    + " feature map");
        }
        DataType type = featureMaps.get(0).getDataType();
        NDList levels = new NDList();
        for (int l = 0; l < featureMaps.size(); l++) {
            Shape s = featureMaps.get(l).getShape();
            int gh = (int) s.get(s.dimension() - 2);
            int gw = (int) s.get(s.dimension() - 1);
            long strideH = images.height() / gh;
            long strideW = images.width() / gw;
            float[] base = cellAnchors.get(l);
            int a = base.length / 4;
            float[] out = new float[gh * gw * a * 4];
            int k = 0;
            for (int y = 0; y < gh; y++) {
                for (int x = 0; x < gw; x++) {
                    float sx = x * strideW;
                    float sy = y * strideH;
                    for (int j = 0; j < a; j++) {
                        out[k++] = sx + base[j * 4];
                        out[k++] = sy + base[j * 4 + 1];
                        out[k++] = sx + base[j * 4 + 2];
                        out[k++] = sy + base[j * 4 + 3];
                    }
                }
            }
            levels.add(manager.create(out, new Shape((long) gh * gw * a, 4)));
        }
        NDArray all = levels.size() == 1 ? levels.get(0) : NDArrays.concat(levels, 0);
        return all.toType(type, false).toDevice(featureMaps.get(0).getDevice(), false);
    }
}
