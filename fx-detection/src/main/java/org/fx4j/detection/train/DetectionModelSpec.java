package org.fx4j.detection.train;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.checkpoint.CheckpointException;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.SafeTensors;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.detection.rcnn.FastRCNNPredictor;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.MaskRCNNHeads;
import org.fx4j.detection.rcnn.MaskRCNNPredictor;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.fx4j.detection.rcnn.RcnnParts;
import org.fx4j.detection.rcnn.TwoMLPHead;
import org.fx4j.nn.BatchNorm2d;
import org.fx4j.nn.Module;

/**
 * What a trained Mask R-CNN is, so that its weights file alone rebuilds it: the backbone ({@code
 * resnet18}, {@code resnet50} or {@code mobilenet_v3_large}, with BatchNorm2d as torchvision uses
 * without pretrained weights, and an FPN), the trainable stages, the classes (background included)
 * with the categories' names, the FPN's width and the heads' sizes (torchvision's {@code TwoMLPHead}
 * representation and {@code MaskRCNNHeads} layers; {@link #TORCHVISION_FPN_CHANNELS}, {@link
 * #TORCHVISION_BOX_REPRESENTATION} and {@link #TORCHVISION_MASK_LAYERS} are torchvision's) and every
 * {@link RcnnConfig} setting. Stored as JSON under the safetensors metadata key {@value #METADATA_KEY}.
 *
 * @param backbone the backbone's name
 * @param numClasses classes including the background
 * @param trainableLayers trainable backbone stages, counted from the last
 * @param categories the names of labels 1..numClasses-1
 * @param fpnChannels the FPN's channels (every level; the RPN and both heads take this width)
 * @param boxRepresentation the box head's two fully connected layers' width
 * @param maskLayers the mask head's 3x3 convolutions' channels (the predictor's transposed
 *     convolution takes the last one's width)
 * @param config the detection settings
 */
public record DetectionModelSpec(String backbone, int numClasses, int trainableLayers, List<String> categories,
        int fpnChannels, int boxRepresentation, List<Integer> maskLayers, RcnnConfig config) {

    /** The metadata key of the specification in a safetensors file. */
    public static final String METADATA_KEY = "fx4j.detection_model";
    /** The backbones {@link #build()} knows. */
    public static final List<String> BACKBONES = List.of("resnet18", "resnet50", "mobilenet_v3_large");
    /** torchvision's FPN width ({@code out_channels} of its detection backbones). */
    public static final int TORCHVISION_FPN_CHANNELS = DetectionBackbones.OUT_CHANNELS;
    /** torchvision's box head width. */
    public static final int TORCHVISION_BOX_REPRESENTATION = 1024;
    /** torchvision's mask head layers. */
    public static final List<Integer> TORCHVISION_MASK_LAYERS = List.of(256, 256, 256, 256);

    /**
     * A specification with torchvision's FPN width (256) and the given head sizes.
     *
     * @param backbone the backbone's name
     * @param numClasses classes including the background
     * @param trainableLayers trainable backbone stages
     * @param categories the names of labels 1..numClasses-1
     * @param boxRepresentation the box head's width
     * @param maskLayers the mask head's convolutions' channels
     * @param config the detection settings
     */
    public DetectionModelSpec(String backbone, int numClasses, int trainableLayers, List<String> categories,
            int boxRepresentation, List<Integer> maskLayers, RcnnConfig config) {
        this(backbone, numClasses, trainableLayers, categories, TORCHVISION_FPN_CHANNELS, boxRepresentation,
                maskLayers, config);
    }

    /**
     * A specification with torchvision's FPN and head sizes.
     *
     * @param backbone the backbone's name
     * @param numClasses classes including the background
     * @param trainableLayers trainable backbone stages
     * @param categories the names of labels 1..numClasses-1
     * @param config the detection settings
     */
    public DetectionModelSpec(String backbone, int numClasses, int trainableLayers, List<String> categories,
            RcnnConfig config) {
        this(backbone, numClasses, trainableLayers, categories, TORCHVISION_FPN_CHANNELS, TORCHVISION_BOX_REPRESENTATION,
                TORCHVISION_MASK_LAYERS, config);
    }

    /**
     * Checks the specification.
     *
     * @throws IllegalArgumentException naming the unknown backbone, a class count below 2, a category
     *     list of the wrong length or trainable stages out of range
     */
    public DetectionModelSpec {
        if (!BACKBONES.contains(backbone)) {
            throw new IllegalArgumentException("unknown backbone '" + backbone + "'; known: "
                    + String.join(", ", BACKBONES));
        }
        if (numClasses < 2) {
            throw new IllegalArgumentException("numClasses counts the background, so it must be at least 2, got "
                    + numClasses);
        }
        if (categories.size() != numClasses - 1) {
            throw new IllegalArgumentException(numClasses + " classes need " + (numClasses - 1)
                    + " category names, got " + categories.size());
        }
        int max = maxTrainableLayers(backbone);
        if (trainableLayers < 0 || trainableLayers > max) {
            throw new IllegalArgumentException("Trainable layers should be in the range [0," + max + "], got "
                    + trainableLayers + " (backbone " + backbone + ")");
        }
        if (fpnChannels < 1) {
            throw new IllegalArgumentException("the FPN's channels must be positive, got " + fpnChannels);
        }
        if (boxRepresentation < 1 || maskLayers.isEmpty() || maskLayers.stream().anyMatch(c -> c == null || c < 1)) {
            throw new IllegalArgumentException("head sizes must be positive with at least one mask layer, got box "
                    + boxRepresentation + " and mask " + maskLayers);
        }
        categories = List.copyOf(categories);
        maskLayers = List.copyOf(maskLayers);
        config = config.copy();
    }

    /**
     * The detection settings {@code fx train} uses, for small images with a few objects each on a
     * CPU: images resized to {@code size} (min = max size), fewer RPN proposals (600 before and 300
     * after NMS in training, 300 / 100 at test) and 64 sampled RoIs per image instead of 512 (the
     * RoI heads, the mask head on every positive, dominate a step); torchvision's defaults otherwise.
     *
     * @param size the images' side
     * @return new settings
     */
    public static RcnnConfig lightConfig(int size) {
        return new RcnnConfig().minSize(size).maxSize(size).rpnPreNmsTopNTrain(600).rpnPostNmsTopNTrain(300)
                .rpnPreNmsTopNTest(300).rpnPostNmsTopNTest(100).boxBatchSizePerImage(64);
    }

    /**
     * The largest number of trainable stages: 5 for a ResNet (layer4 .. conv1), 6 for MobileNetV3-Large.
     *
     * @param backbone the backbone's name
     * @return the count
     */
    public static int maxTrainableLayers(String backbone) {
        return backbone.startsWith("mobilenet") ? 6 : 5;
    }

    @Override
    public RcnnConfig config() {
        return config.copy();
    }

    /**
     * This specification with other detection settings (thresholds, sizes).
     *
     * @param other the settings
     * @return a new specification
     */
    public DetectionModelSpec withConfig(RcnnConfig other) {
        return new DetectionModelSpec(backbone, numClasses, trainableLayers, categories, fpnChannels, boxRepresentation,
                maskLayers, other);
    }

    /**
     * Builds the model, not initialised.
     *
     * @return the model
     */
    public MaskRCNN build() {
        Module body = backbone.startsWith("resnet")
                ? DetectionBackbones.resnetFpnBackbone(backbone, trainableLayers, null, null, BatchNorm2d::new, fpnChannels)
                : DetectionBackbones.mobilenetBackbone(backbone, true, trainableLayers, null, null, BatchNorm2d::new,
                        fpnChannels);
        int last = maskLayers.get(maskLayers.size() - 1);
        RcnnParts parts = new RcnnParts()
                .boxHead(new TwoMLPHead(fpnChannels * 7 * 7, boxRepresentation))
                .boxPredictor(new FastRCNNPredictor(boxRepresentation, numClasses))
                .maskHead(new MaskRCNNHeads(fpnChannels, maskLayers, 1, null))
                .maskPredictor(new MaskRCNNPredictor(last, last, numClasses));
        return new MaskRCNN(body, null, config, parts);
    }

    /** @return the specification as JSON */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("architecture", "maskrcnn");
        o.addProperty("backbone", backbone);
        o.addProperty("num_classes", numClasses);
        o.addProperty("trainable_layers", trainableLayers);
        o.addProperty("norm_layer", "BatchNorm2d");
        JsonArray cats = new JsonArray();
        categories.forEach(cats::add);
        o.add("categories", cats);
        o.addProperty("fpn_channels", fpnChannels);
        o.addProperty("box_representation", boxRepresentation);
        JsonArray mask = new JsonArray();
        maskLayers.forEach(mask::add);
        o.add("mask_layers", mask);
        JsonObject c = new JsonObject();
        config.toStrings().forEach(c::addProperty);
        o.add("config", c);
        Gson gson = new GsonBuilder().disableHtmlEscaping().create();
        return gson.toJson(o);
    }

    /**
     * Reads a specification written by {@link #toJson()}.
     *
     * @param json the JSON
     * @param source where it came from, for messages
     * @return the specification
     * @throws IllegalArgumentException naming what is missing or wrong
     */
    public static DetectionModelSpec fromJson(String json, String source) {
        try {
            JsonObject o = JsonParser.parseString(json).getAsJsonObject();
            String arch = o.has("architecture") ? o.get("architecture").getAsString() : "";
            if (!arch.equals("maskrcnn")) {
                throw new IllegalArgumentException(source + " describes a '" + arch + "' model; fx4j builds maskrcnn");
            }
            List<String> cats = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("categories")) {
                cats.add(e.getAsString());
            }
            Map<String, String> config = new LinkedHashMap<>();
            o.getAsJsonObject("config").entrySet().forEach(e -> config.put(e.getKey(), e.getValue().getAsString()));
            List<Integer> mask = new ArrayList<>();
            for (JsonElement e : o.getAsJsonArray("mask_layers")) {
                mask.add(e.getAsInt());
            }
            // files written before the FPN's width was a setting have torchvision's
            int fpn = o.has("fpn_channels") ? o.get("fpn_channels").getAsInt() : TORCHVISION_FPN_CHANNELS;
            return new DetectionModelSpec(o.get("backbone").getAsString(), o.get("num_classes").getAsInt(),
                    o.get("trainable_layers").getAsInt(), cats, fpn, o.get("box_representation").getAsInt(), mask,
                    RcnnConfig.fromStrings(config));
        } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException
                | UnsupportedOperationException e) {
            throw new IllegalArgumentException(source + " has a malformed " + METADATA_KEY + " entry: " + e, e);
        }
    }

    /**
     * Reads the specification stored in a safetensors file's metadata.
     *
     * @param file the file
     * @return the specification, or null if the file has none (a plain state dict)
     * @throws IOException if the file cannot be read, or its specification is malformed
     */
    public static DetectionModelSpec read(Path file) throws IOException {
        if (!file.getFileName().toString().endsWith(".safetensors")) {
            return null;
        }
        Map<String, String> meta = SafeTensors.readMetadata(file);
        String json = meta.get(METADATA_KEY);
        if (json == null) {
            return null;
        }
        try {
            return fromJson(json, file.toString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(e.getMessage(), e);
        }
    }

    /**
     * Saves a model with this specification in the file's metadata.
     *
     * @param model the model (built from this specification)
     * @param file the safetensors file (written atomically)
     * @throws IOException if writing fails
     */
    public void save(MaskRCNN model, Path file) throws IOException {
        Checkpoints.saveSafetensors(model, file, Map.of(METADATA_KEY, toJson()));
    }

    /**
     * Builds the model a file describes and loads its weights strictly.
     *
     * @param file a safetensors file written by {@link #save}
     * @param manager the manager the weights live in
     * @return the model, in evaluation mode
     * @throws IOException if the file cannot be read, has no specification, or does not fit it
     */
    public static MaskRCNN load(Path file, NDManager manager) throws IOException {
        DetectionModelSpec spec = read(file);
        if (spec == null) {
            throw new CheckpointException(file + " holds no " + METADATA_KEY + " metadata (it was not written by"
                    + " `fx train`); pass the model's settings instead");
        }
        MaskRCNN model = spec.build();
        try (StateDict state = Checkpoints.read(file, manager)) {
            Checkpoints.load(model, state, manager, true);
        }
        model.eval();
        return model;
    }
}
