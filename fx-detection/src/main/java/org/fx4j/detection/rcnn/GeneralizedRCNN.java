package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.DetectionBackbone;
import org.fx4j.detection.ops.PasteMasks;
import org.fx4j.nn.ForwardContext;
import org.fx4j.fx.GraphModule;
import org.fx4j.fx.TraceOptions;
import org.fx4j.fx.Tracer;
import org.fx4j.nn.Module;
import org.fx4j.nn.TraceException;

/**
 * torchvision's {@code GeneralizedRCNN}: transform, {@code backbone}, {@code rpn}, {@code roi_heads},
 * then boxes (and masks) mapped back to each image's original size. State-dict keys are
 * torchvision's ({@code backbone.body.layer1.0.conv1.weight}, {@code rpn.head.conv.0.0.weight}, {@code
 * roi_heads.box_head.fc6.weight}, ...).
 */
public class GeneralizedRCNN extends Module {

    private final Module backbone;
    private final List<String> featureNames;
    private final RegionProposalNetwork rpn;
    private final RoIHeads roiHeads;
    private final GeneralizedRCNNTransform transform;
    private volatile GraphModule tracedBackbone;
    private volatile boolean untraceable;
    private volatile boolean foldBatchNorms = true;
    private java.util.Random random = new java.util.Random(0);

    /**
     * Creates the model.
     *
     * @param backbone images to named feature maps
     * @param featureNames the names the backbone gives, finest first
     * @param rpn the region proposal network (one anchor level per feature map)
     * @param roiHeads the detection heads
     * @param transform the image transform
     */
    protected GeneralizedRCNN(Module backbone, List<String> featureNames, RegionProposalNetwork rpn,
            RoIHeads roiHeads, GeneralizedRCNNTransform transform) {
        this.backbone = register("backbone", backbone);
        this.featureNames = List.copyOf(featureNames);
        this.rpn = register("rpn", rpn);
        this.roiHeads = register("roi_heads", roiHeads);
        this.transform = transform;
    }

    /**
     * Returns the backbone.
     *
     * @return {@code backbone}
     */
    public Module backbone() {
        return backbone;
    }

    /**
     * Returns the feature-map names the heads read.
     *
     * @return the names, finest first
     */
    public List<String> featureNames() {
        return featureNames;
    }

    /**
     * Returns the region proposal network.
     *
     * @return {@code rpn}
     */
    public RegionProposalNetwork rpn() {
        return rpn;
    }

    /**
     * Returns the detection heads.
     *
     * @return {@code roi_heads}
     */
    public RoIHeads roiHeads() {
        return roiHeads;
    }

    /**
     * Returns the image transform.
     *
     * @return the transform
     */
    public GeneralizedRCNNTransform transform() {
        return transform;
    }

    /**
     * Detects objects in images of any sizes (evaluation mode; gradients off while it runs).
     *
     * @param images [C, H, W] images with values in [0, 1], float32 or float64; C = 3, or 1 (grey,
     *     repeated) or 4 (RGBA, alpha dropped)
     * @return per image, its detections in its original pixels, in the first image's manager
     * @throws IllegalStateException in training mode (torchvision then requires targets)
     * @throws IllegalArgumentException naming the image for a wrong rank, channel count, type, an empty
     *     image or non-finite values
     */
    public List<Detections> detect(List<NDArray> images) {
        if (isTraining()) {
            throw new IllegalStateException(getClass().getSimpleName() + " is in training mode, where torchvision"
                    + " requires targets; call eval() before detect()");
        }
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("no images given; pass at least one [3, H, W] image");
        }
        NDManager parent = images.get(0).getManager();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager sub = parent.newSubManager()) {
            // The images join the scope while it runs, so every intermediate is freed with it.
            // (an identity set: NDArray's equals compares contents, and two equal images are two arrays)
            java.util.Set<NDArray> attached = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (NDArray image : images) {
                if (attached.add(image)) {
                    sub.tempAttachAll(image);
                }
            }
            List<Detections> out = detect(ForwardContext.eager(this), images, sub);
            for (Detections d : out) {
                d.boxes().attach(parent);
                d.labels().attach(parent);
                d.scores().attach(parent);
                if (d.masks() != null) {
                    d.masks().attach(parent);
                }
            }
            return out;
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    private List<Detections> detect(ForwardContext ctx, List<NDArray> images, NDManager manager) {
        List<NDArray> rgb = new ArrayList<>();
        List<int[]> originalSizes = new ArrayList<>();
        DataType modelType = parameterType();
        for (int i = 0; i < images.size(); i++) {
            NDArray image = checkImage(images.get(i), i, modelType);
            rgb.add(image);
            originalSizes.add(new int[] {(int) image.getShape().get(1), (int) image.getShape().get(2)});
        }
        List<Detections> detections;
        List<int[]> resizedSizes;
        try (NDManager stage = manager.newSubManager()) {
            // The batch, the feature maps and the proposals are freed before the masks are pasted.
            ImageList batch = transform.transform(rgb, stage);
            resizedSizes = batch.imageSizes();
            Map<String, NDArray> features = features(ctx, batch.tensors());
            RegionProposalNetwork.Proposals proposals = rpn.propose(ctx, batch, new ArrayList<>(features.values()));
            detections = roiHeads.detect(ctx, features, proposals.boxes(), batch.imageSizes());
            for (Detections d : detections) {
                d.boxes().attach(manager);
                d.labels().attach(manager);
                d.scores().attach(manager);
                if (d.masks() != null) {
                    d.masks().attach(manager);
                }
            }
        }
        List<Detections> out = new ArrayList<>();
        for (int i = 0; i < detections.size(); i++) {
            Detections d = detections.get(i);
            int[] original = originalSizes.get(i);
            NDArray boxes = GeneralizedRCNNTransform.resizeBoxes(d.boxes(), resizedSizes.get(i), original);
            NDArray masks = d.masks() == null ? null : PasteMasks.paste(d.masks(), boxes, original[0], original[1]);
            out.add(new Detections(boxes, d.labels(), d.scores(), masks));
        }
        return out;
    }

    /**
     * Sets the seed of the random source the training samplers draw from (anchors and proposals), so
     * that training is reproducible; the default source is seeded with 0.
     *
     * @param seed the seed
     * @return this model
     */
    public GeneralizedRCNN samplerSeed(long seed) {
        synchronized (this) {
            random = new java.util.Random(seed);
        }
        return this;
    }

    /**
     * torchvision's training forward: the five losses ({@code loss_classifier}, {@code loss_box_reg},
     * {@code loss_mask} with a mask branch, {@code loss_objectness}, {@code loss_rpn_box_reg}) of a
     * batch of images with their targets, differentiable with respect to the trainable parameters
     * (run it inside a DJL {@code GradientCollector} and call backward on their sum). The model must
     * be in training mode. Targets are checked as torchvision checks them (and labels against the
     * class count, masks against the image sizes), then resized with their images.
     *
     * @param images [C, H, W] images with values in [0, 1], as for {@link #detect}
     * @param targets one per image, in the image's original pixels
     * @return the losses by torchvision's names, in the first image's manager
     * @throws IllegalStateException in evaluation mode
     * @throws IllegalArgumentException naming the image or target that is wrong
     */
    public Map<String, NDArray> losses(List<NDArray> images, List<DetectionTarget> targets) {
        if (!isTraining()) {
            throw new IllegalStateException(getClass().getSimpleName() + " is in evaluation mode; call train() before"
                    + " losses() (detect() is the evaluation-mode forward)");
        }
        if (images == null || images.isEmpty()) {
            throw new IllegalArgumentException("no images given; pass at least one [3, H, W] image");
        }
        if (targets == null || targets.size() != images.size()) {
            throw new IllegalArgumentException("losses need one target per image: " + images.size() + " images, "
                    + (targets == null ? "no" : Integer.toString(targets.size())) + " targets");
        }
        NDManager parent = images.get(0).getManager();
        Map<String, NDArray> losses = new LinkedHashMap<>();
        try (NDManager sub = parent.newSubManager()) {
            // Images and targets join the scope while it runs (what is derived from them lands in their
            // managers), so every intermediate is freed with it; identity sets, as NDArray.equals compares contents.
            java.util.Set<NDArray> attached = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (int i = 0; i < images.size(); i++) {
                DetectionTarget t = targets.get(i);
                if (t == null) {
                    throw new IllegalArgumentException("target " + i + " is null; an image without objects takes a"
                            + " target with [0, 4] boxes, [0] labels and [0, H, W] masks");
                }
                for (NDArray a : new NDArray[] {images.get(i), t.boxes(), t.labels(), t.masks()}) {
                    if (a != null && attached.add(a)) {
                        sub.tempAttachAll(a);
                    }
                }
            }
            List<NDArray> rgb = new ArrayList<>();
            long numClasses = roiHeads.numClasses();
            DataType modelType = parameterType();
            for (int i = 0; i < images.size(); i++) {
                NDArray image = checkImage(images.get(i), i, modelType);
                targets.get(i).validate(i, image.getShape().get(1), image.getShape().get(2), numClasses,
                        roiHeads.hasMask());
                rgb.add(image);
            }
            ImageList batch = transform.transform(rgb, sub);
            List<DetectionTarget> resized = new ArrayList<>();
            List<NDArray> gtBoxes = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                int[] original = {(int) rgb.get(i).getShape().get(1), (int) rgb.get(i).getShape().get(2)};
                DetectionTarget given = targets.get(i);
                DetectionTarget t = GeneralizedRCNNTransform.resizeTarget(roiHeads.hasMask() ? given
                        : new DetectionTarget(given.boxes(), given.labels(), null), original, batch.imageSizes().get(i));
                t.checkPositiveBoxes(i); // as torchvision, after the transform
                resized.add(t);
                gtBoxes.add(t.boxes());
            }
            ForwardContext ctx = ForwardContext.eager(this);
            Map<String, NDArray> features = features(ctx, batch.tensors());
            java.util.Random source;
            synchronized (this) {
                source = random;
            }
            RegionProposalNetwork.TrainingOutput rpnOut = rpn.trainingStep(ctx, batch,
                    new ArrayList<>(features.values()), gtBoxes, source);
            losses.putAll(roiHeads.losses(ctx, features, rpnOut.proposals().boxes(), batch.imageSizes(), resized,
                    source));
            losses.put("loss_objectness", rpnOut.lossObjectness());
            losses.put("loss_rpn_box_reg", rpnOut.lossRpnBoxReg());
            for (NDArray l : losses.values()) {
                l.attach(parent);
            }
        }
        return losses;
    }

    /**
     * Runs the backbone on a batch and names its maps.
     *
     * @param ctx the context
     * @param batch [B, 3, H, W]
     * @return the maps by name, in the order the heads expect
     */
    public Map<String, NDArray> features(ForwardContext ctx, NDArray batch) {
        GraphModule traced = isTraining() ? null : tracedBackbone();
        NDList maps = traced == null ? backbone.call(ctx, new NDList(batch)) : traced.forward(new NDList(batch));
        if (traced != null) {
            if (maps.size() != featureNames.size()) {
                throw new IllegalStateException("the traced backbone gave " + maps.size() + " maps, the model was built"
                        + " for " + featureNames);
            }
            for (int i = 0; i < maps.size(); i++) {
                maps.get(i).setName(featureNames.get(i));
            }
        }
        Map<String, NDArray> byName = new LinkedHashMap<>();
        for (int i = 0; i < maps.size(); i++) {
            NDArray a = maps.get(i);
            String name = DetectionBackbone.mapName(maps, i);
            byName.put(name, a);
        }
        if (!List.copyOf(byName.keySet()).equals(featureNames)) {
            throw new IllegalStateException("the backbone gave feature maps " + byName.keySet() + " but the model was"
                    + " built for " + featureNames);
        }
        return byName;
    }

    /**
     * Sets whether inference folds the backbone's batch norms into their convolutions (default on):
     * one convolution with rescaled weights instead of a convolution and a pass over its output,
     * cached and made again when the weights change ({@link GraphModule#foldBatchNorms}). Outputs
     * differ from the unfolded backbone's by rounding (float64 near 1e-15; float32 detections as in the
     * README's parity figures); turn it off to run torchvision's sequence of operations.
     *
     * @param on true to fold
     * @return this model
     */
    public GeneralizedRCNN foldBatchNorms(boolean on) {
        synchronized (this) {
            foldBatchNorms = on;
            if (tracedBackbone != null) {
                tracedBackbone.foldBatchNorms(on);
            }
        }
        return this;
    }

    /**
     * Returns how many of the backbone's convolution + norm pairs ran folded in its last inference pass.
     *
     * @return the count; 0 before the first inference pass, or when it ran unfolded
     */
    public int backboneFoldedInLastPass() {
        GraphModule g = tracedBackbone;
        return g == null ? 0 : g.foldedInLastPass();
    }

    /**
     * Returns whether the backbone's last inference pass ran its beginning as the oneDNN program
     * ({@link GraphModule#useOneDnn}).
     *
     * @return true if it did; false before the first inference pass, or when it ran node by node
     */
    public boolean backboneOneDnnInLastPass() {
        GraphModule g = tracedBackbone;
        return g != null && g.oneDnnInLastPass();
    }

    /**
     * Returns whether inference folds the backbone's batch norms.
     *
     * @return true if folding (the default)
     */
    public boolean foldsBatchNorms() {
        return foldBatchNorms;
    }

    /**
     * Forgets the backbone's traced graph, so the next {@link #detect} traces it again: call it after
     * changing the backbone's structure or a setting its forward reads (loading weights, moving to a
     * device or switching modes needs no call: the graph shares the backbone's modules and parameters).
     */
    public void retraceBackbone() {
        synchronized (this) {
            tracedBackbone = null;
            untraceable = false;
        }
    }

    /**
     * The backbone traced once in evaluation mode (its parameters shared): a traced graph frees each
     * intermediate at its last use, where the eager forward keeps them all until the forward ends
     * (about 3 GB for ResNet-50 at 800x1088), and folds each batch norm into its convolution (from
     * the current parameters at every call). A backbone that cannot be traced runs eagerly.
     */
    private GraphModule tracedBackbone() {
        GraphModule g = tracedBackbone;
        if (g == null && !untraceable) {
            synchronized (this) {
                if (tracedBackbone == null && !untraceable) {
                    try {
                        tracedBackbone = new GraphModule(Tracer.trace(backbone, false,
                                TraceOptions.builder().suppressDiffWarning(true).build()),
                                backbone.getClass().getSimpleName()).foldBatchNorms(foldBatchNorms);
                    } catch (TraceException | IllegalStateException | ClassCastException
                            | UnsupportedOperationException e) {
                        untraceable = true; // runs eagerly, as it would have without tracing
                    }
                }
                g = tracedBackbone;
            }
        }
        return g;
    }

    private DataType parameterType() {
        for (ai.djl.nn.Parameter p : stateDict().values()) {
            if (p.isInitialized() && p.getArray().getDataType().isFloating()) {
                return p.getArray().getDataType();
            }
        }
        return null;
    }

    /** {@link #checkImage(NDArray, int)}, then the image's type against the model's (null: not checked). */
    private static NDArray checkImage(NDArray image, int index, DataType modelType) {
        NDArray checked = checkImage(image, index);
        if (modelType != null && checked.getDataType() != modelType) {
            throw new IllegalArgumentException("image " + index + " is " + checked.getDataType() + " but the model's"
                    + " parameters are " + modelType + "; convert the image (toType(" + modelType + ", false))");
        }
        return checked;
    }

    private static NDArray checkImage(NDArray image, int index) {
        Shape s = image.getShape();
        if (s.dimension() != 3) {
            throw new IllegalArgumentException("images are expected to be a list of 3d tensors of shape [C, H, W], got "
                    + s + " (image " + index + ")");
        }
        if (s.get(1) == 0 || s.get(2) == 0) {
            throw new IllegalArgumentException("image " + index + " is empty: shape " + s);
        }
        DataType t = image.getDataType();
        if (t != DataType.FLOAT32 && t != DataType.FLOAT64) {
            throw new IllegalArgumentException("image " + index + " is " + t + "; expected float32 or float64 values"
                    + " in [0, 1] (divide 8-bit images by 255, 16-bit ones by 65535)");
        }
        // (the images are attached to the detection's scope, so these checks' arrays are freed with it)
        if (image.isInfinite().logicalOr(image.isNaN()).any().getBoolean()) {
            throw new IllegalArgumentException("image " + index + " holds NaN or infinite values");
        }
        long c = s.get(0);
        if (c == 1 || c == 4) {
            return c == 1 ? image.repeat(0, 3) : image.get("0:3");
        }
        if (c != 3) {
            throw new IllegalArgumentException("image " + index + " has " + c + " channels (shape " + s + "); expected"
                    + " 3 (RGB), 1 (grey) or 4 (RGBA)");
        }
        return image;
    }

    /**
     * Detects in the images of an NDList (DJL's Block contract): for image {@code i} the outputs
     * {@code i.boxes}, {@code i.labels}, {@code i.scores} (and {@code i.masks}).
     *
     * @param ctx the context
     * @param images [C, H, W] images (or one [B, C, H, W] batch)
     * @return the detections, flattened and named
     */
    @Override
    public NDList forward(ForwardContext ctx, NDList images) {
        List<NDArray> list = new ArrayList<>();
        NDList slices = new NDList();
        for (NDArray a : images) {
            if (a.getShape().dimension() == 4) {
                for (int i = 0; i < a.getShape().get(0); i++) {
                    NDArray slice = a.get(i);
                    slices.add(slice);
                    list.add(slice);
                }
            } else {
                list.add(a);
            }
        }
        NDList out = new NDList();
        List<Detections> detections;
        try {
            detections = detect(list);
        } finally {
            slices.close();
        }
        for (int i = 0; i < detections.size(); i++) {
            Detections d = detections.get(i);
            d.boxes().setName(i + ".boxes");
            d.labels().setName(i + ".labels");
            d.scores().setName(i + ".scores");
            out.add(d.boxes());
            out.add(d.labels());
            out.add(d.scores());
            if (d.masks() != null) {
                d.masks().setName(i + ".masks");
                out.add(d.masks());
            }
        }
        return out;
    }
}
