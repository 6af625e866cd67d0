package org.fx4j.detection.rcnn;

/**
 * The keyword arguments of torchvision's {@code FasterRCNN} / {@code MaskRCNN} constructors that are
 * numbers, with torchvision's defaults; set them fluently ({@code new RcnnConfig().boxScoreThresh(0)}).
 * The module arguments ({@code rpn_anchor_generator}, {@code box_roi_pool}, heads, predictors) are
 * set on {@link FasterRCNN.Parts}.
 */
public final class RcnnConfig {
    int minSize = 800;
    int maxSize = 1333;
    double[] imageMean = new double[] {0.485, 0.456, 0.406};
    double[] imageStd = new double[] {0.229, 0.224, 0.225};
    int sizeDivisible = 32;
    int rpnPreNmsTopNTrain = 2000;
    int rpnPreNmsTopNTest = 1000;
    int rpnPostNmsTopNTrain = 2000;
    int rpnPostNmsTopNTest = 1000;
    double rpnNmsThresh = 0.7;
    double rpnFgIouThresh = 0.7;
    double rpnBgIouThresh = 0.3;
    int rpnBatchSizePerImage = 256;
    double rpnPositiveFraction = 0.5;
    double rpnScoreThresh = 0.0;
    double boxScoreThresh = 0.05;
    double boxNmsThresh = 0.5;
    int boxDetectionsPerImg = 100;
    double boxFgIouThresh = 0.5;
    double boxBgIouThresh = 0.5;
    int boxBatchSizePerImage = 512;
    double boxPositiveFraction = 0.25;
    double[] bboxRegWeights = new double[] {10, 10, 5, 5};

    /** Creates the defaults. */
    public RcnnConfig() {}

    /**
     * Returns an independent copy (models copy their configuration, so changing it later changes
     * nothing built from it).
     *
     * @return the copy
     */
    public RcnnConfig copy() {
        RcnnConfig c = new RcnnConfig();
        for (java.lang.reflect.Field f : RcnnConfig.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            try {
                Object v = f.get(this);
                f.set(c, v instanceof double[] ? ((double[]) v).clone() : v);
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return c;
    }

    /**
     * The settings as text, keyed by their field names ({@code minSize}, {@code rpnNmsThresh}, ...;
     * arrays comma-separated), for storing with a model.
     *
     * @return the settings, in declaration order
     */
    public java.util.Map<String, String> toStrings() {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (java.lang.reflect.Field f : RcnnConfig.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            try {
                Object v = f.get(this);
                out.put(f.getName(), v instanceof double[] a ? java.util.Arrays.stream(a)
                        .mapToObj(Double::toString).collect(java.util.stream.Collectors.joining(",")) : v.toString());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /**
     * Reads settings written by {@link #toStrings()}, each checked by its setter; absent keys keep
     * their defaults.
     *
     * @param values the settings
     * @return the configuration
     * @throws IllegalArgumentException naming an unknown key or a bad value
     */
    public static RcnnConfig fromStrings(java.util.Map<String, String> values) {
        RcnnConfig c = new RcnnConfig();
        for (java.util.Map.Entry<String, String> e : values.entrySet()) {
            java.lang.reflect.Field f;
            try {
                f = RcnnConfig.class.getDeclaredField(e.getKey());
            } catch (NoSuchFieldException ex) {
                throw new IllegalArgumentException("unknown detection setting '" + e.getKey() + "'");
            }
            try {
                java.lang.reflect.Method setter;
                Object v;
                if (f.getType() == int.class) {
                    setter = RcnnConfig.class.getMethod(f.getName(), int.class);
                    v = Integer.parseInt(e.getValue().trim());
                } else if (f.getType() == double.class) {
                    setter = RcnnConfig.class.getMethod(f.getName(), double.class);
                    v = Double.parseDouble(e.getValue().trim());
                } else {
                    setter = RcnnConfig.class.getMethod(f.getName(), double[].class);
                    v = java.util.Arrays.stream(e.getValue().split(",")).map(String::trim)
                            .mapToDouble(Double::parseDouble).toArray();
                }
                setter.invoke(c, v);
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("detection setting '" + e.getKey() + "' is not a number: '"
                        + e.getValue() + "'");
            } catch (java.lang.reflect.InvocationTargetException ex) {
                throw new IllegalArgumentException("detection setting '" + e.getKey() + "': "
                        + ex.getCause().getMessage(), ex.getCause());
            } catch (ReflectiveOperationException ex) {
                throw new IllegalStateException(ex);
            }
        }
        return c;
    }

    private static double positive(String name, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(name + " must be positive and finite, got " + v);
        }
        return v;
    }

    private static double unit(String name, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1], got " + v);
        }
        return v;
    }

    private static int count(String name, int v) {
        if (v < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + v);
        }
        return v;
    }

    private static double[] three(String name, double[] v, boolean positive) {
        if (v == null || v.length != 3) {
            throw new IllegalArgumentException(name + " needs 3 values (one per RGB channel)");
        }
        for (double x : v) {
            if (positive ? !(x > 0) || Double.isInfinite(x) : !Double.isFinite(x)) {
                throw new IllegalArgumentException(name + " values must be " + (positive ? "positive and " : "")
                        + "finite, got " + java.util.Arrays.toString(v));
            }
        }
        return v.clone();
    }

    /**
     * Sets the shorter image side after resizing (torchvision's {@code min_size}); default 800.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig minSize(int v) {
        minSize = (int) positive("min_size", v);
        return this;
    }

    /**
     * Sets the longest the longer side may become ({@code max_size}); default 1333.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig maxSize(int v) {
        maxSize = (int) positive("max_size", v);
        return this;
    }

    /**
     * Sets per-channel means subtracted ({@code image_mean}); default {0.485, 0.456, 0.406}.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig imageMean(double[] v) {
        imageMean = three("image_mean", v, false);
        return this;
    }

    /**
     * Sets per-channel deviations divided by ({@code image_std}); default {0.229, 0.224, 0.225}.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig imageStd(double[] v) {
        imageStd = three("image_std", v, true);
        return this;
    }

    /**
     * Sets batch padding multiple ({@code size_divisible}); default 32.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig sizeDivisible(int v) {
        sizeDivisible = (int) positive("size_divisible", v);
        return this;
    }

    /**
     * Sets proposals per level before NMS, training; default 2000.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnPreNmsTopNTrain(int v) {
        rpnPreNmsTopNTrain = count("rpn_pre_nms_top_n_train", v);
        return this;
    }

    /**
     * Sets proposals per level before NMS, inference; default 1000.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnPreNmsTopNTest(int v) {
        rpnPreNmsTopNTest = count("rpn_pre_nms_top_n_test", v);
        return this;
    }

    /**
     * Sets proposals kept after NMS, training; default 2000.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnPostNmsTopNTrain(int v) {
        rpnPostNmsTopNTrain = count("rpn_post_nms_top_n_train", v);
        return this;
    }

    /**
     * Sets proposals kept after NMS, inference; default 1000.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnPostNmsTopNTest(int v) {
        rpnPostNmsTopNTest = count("rpn_post_nms_top_n_test", v);
        return this;
    }

    /**
     * Sets the RPN's NMS IoU threshold; default 0.7.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnNmsThresh(double v) {
        rpnNmsThresh = unit("rpn_nms_thresh", v);
        return this;
    }

    /**
     * Sets IoU from which an anchor is foreground (training); default 0.7.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnFgIouThresh(double v) {
        rpnFgIouThresh = unit("rpn_fg_iou_thresh", v);
        return this;
    }

    /**
     * Sets IoU below which an anchor is background (training); default 0.3.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnBgIouThresh(double v) {
        rpnBgIouThresh = unit("rpn_bg_iou_thresh", v);
        return this;
    }

    /**
     * Sets anchors sampled per image (training); default 256.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnBatchSizePerImage(int v) {
        rpnBatchSizePerImage = count("rpn_batch_size_per_image", v);
        return this;
    }

    /**
     * Sets positive share of the sampled anchors (training); default 0.5.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnPositiveFraction(double v) {
        rpnPositiveFraction = unit("rpn_positive_fraction", v);
        return this;
    }

    /**
     * Sets proposals scoring below are dropped; default 0.0.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig rpnScoreThresh(double v) {
        rpnScoreThresh = unit("rpn_score_thresh", v);
        return this;
    }

    /**
     * Sets detections scoring at or below are dropped; default 0.05.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxScoreThresh(double v) {
        boxScoreThresh = unit("box_score_thresh", v);
        return this;
    }

    /**
     * Sets the detections' NMS IoU threshold, per class; default 0.5.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxNmsThresh(double v) {
        boxNmsThresh = unit("box_nms_thresh", v);
        return this;
    }

    /**
     * Sets detections kept per image; default 100.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxDetectionsPerImg(int v) {
        boxDetectionsPerImg = count("box_detections_per_img", v);
        return this;
    }

    /**
     * Sets IoU from which a proposal is foreground (training); default 0.5.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxFgIouThresh(double v) {
        boxFgIouThresh = unit("box_fg_iou_thresh", v);
        return this;
    }

    /**
     * Sets IoU below which a proposal is background (training); default 0.5.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxBgIouThresh(double v) {
        boxBgIouThresh = unit("box_bg_iou_thresh", v);
        return this;
    }

    /**
     * Sets proposals sampled per image (training); default 512.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxBatchSizePerImage(int v) {
        boxBatchSizePerImage = count("box_batch_size_per_image", v);
        return this;
    }

    /**
     * Sets positive share of the sampled proposals (training); default 0.25.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig boxPositiveFraction(double v) {
        boxPositiveFraction = unit("box_positive_fraction", v);
        return this;
    }

    /**
     * Sets the box head's coder weights ({@code bbox_reg_weights}); default {10, 10, 5, 5}.
     *
     * @param v the value
     * @return this config
     */
    public RcnnConfig bboxRegWeights(double[] v) {
        if (v == null || v.length != 4) {
            throw new IllegalArgumentException("bbox_reg_weights needs 4 values (wx, wy, ww, wh)");
        }
        for (double x : v) {
            positive("bbox_reg_weights", x);
        }
        bboxRegWeights = v.clone();
        return this;
    }
}
