package org.fx4j.detection;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import ai.djl.util.Pair;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.ReturnNodes;
import org.fx4j.fx.TraceOptions;
import org.fx4j.models.MobileNetFeatures;
import org.fx4j.models.MobileNetV2;
import org.fx4j.models.MobileNetV3;
import org.fx4j.models.ResNet;
import org.fx4j.models.ResNets;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.FrozenBatchNorm2d;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;

/**
 * torchvision's {@code detection.backbone_utils}: {@link #resnetFpnBackbone} builds a ResNet with
 * frozen batch norms, freezes all but its last {@code trainableLayers} stages and puts an FPN of 256
 * channels on the returned layers; {@link #mobilenetBackbone} does the same for MobileNetV2/V3's
 * feature stages. Freezing means no gradient and no optimiser update for those
 * parameters. Weights come from a file you load afterwards (torchvision's state dict loads strictly).
 */
public final class DetectionBackbones {

    /** torchvision's defaults: three trainable stages, layers 1..4 returned. */
    public static final int DEFAULT_TRAINABLE_LAYERS = 3;
    /** {@code mobilenet_backbone}'s default number of trainable stages. */
    public static final int DEFAULT_MOBILENET_TRAINABLE_LAYERS = 2;
    /**
     * The channels of every backbone output (torchvision's {@code out_channels}), unless an overload
     * with {@code outChannels} is given another width.
     */
    public static final int OUT_CHANNELS = 256;
    /** The MobileNets {@link #mobilenetBackbone} builds. */
    public static final List<String> MOBILENETS = List.of("mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small");

    private DetectionBackbones() {}

    /**
     * {@code resnet_fpn_backbone(backbone_name=name, weights=None)} with torchvision's defaults:
     * FrozenBatchNorm2d, 3 trainable layers, layers 1..4 returned, {@link LastLevelMaxPool}.
     *
     * @param name a ResNet name ({@code resnet18} ... {@code wide_resnet101_2})
     * @return the backbone
     */
    public static BackboneWithFPN resnetFpnBackbone(String name) {
        return resnetFpnBackbone(name, DEFAULT_TRAINABLE_LAYERS, null, null, null);
    }

    /**
     * {@code resnet_fpn_backbone}.
     *
     * @param name a ResNet name ({@code resnet18} ... {@code wide_resnet101_2})
     * @param trainableLayers stages left trainable, counted from layer4 (0..5; 5 also trains bn1)
     * @param returnedLayers the layers returned to the FPN, each in [1, 4]; null for all four
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param normLayer the ResNet's normalisation; null for {@link FrozenBatchNorm2d}
     * @return the backbone
     * @throws IllegalArgumentException with torchvision's message for bad layer counts or names
     */
    public static BackboneWithFPN resnetFpnBackbone(String name, int trainableLayers, List<Integer> returnedLayers,
            ExtraFPNBlock extraBlocks, IntFunction<Block> normLayer) {
        return resnetFpnBackbone(name, trainableLayers, returnedLayers, extraBlocks, normLayer, OUT_CHANNELS);
    }

    /**
     * {@link #resnetFpnBackbone(String, int, List, ExtraFPNBlock, IntFunction)} with an FPN of another
     * width than torchvision's 256 ({@code BackboneWithFPN}'s {@code out_channels}).
     *
     * @param name {@code resnet18} .. {@code wide_resnet101_2}
     * @param trainableLayers stages left trainable, counted from layer4 (0..5; 5 also trains bn1)
     * @param returnedLayers the layers returned to the FPN, each in [1, 4]; null for all four
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param normLayer the ResNet's normalisation; null for {@link FrozenBatchNorm2d}
     * @param outChannels the FPN's channels (every level)
     * @return the backbone
     */
    public static BackboneWithFPN resnetFpnBackbone(String name, int trainableLayers, List<Integer> returnedLayers,
            ExtraFPNBlock extraBlocks, IntFunction<Block> normLayer, int outChannels) {
        ResNet backbone = ResNets.builder(name)
                .optNormLayer(normLayer == null ? FrozenBatchNorm2d::new : normLayer).build();
        return resnetFpnExtractor(backbone, trainableLayers, returnedLayers, extraBlocks, null, outChannels);
    }

    /**
     * torchvision's {@code _resnet_fpn_extractor}: freezes, then wraps a ResNet you built.
     *
     * @param backbone the ResNet
     * @param trainableLayers stages left trainable, counted from layer4 (0..5)
     * @param returnedLayers the layers returned, each in [1, 4]; null for all four
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param fpnNormLayer the FPN's normalisation, or null for none
     * @return the backbone
     */
    public static BackboneWithFPN resnetFpnExtractor(ResNet backbone, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> fpnNormLayer) {
        return resnetFpnExtractor(backbone, trainableLayers, returnedLayers, extraBlocks, fpnNormLayer, OUT_CHANNELS);
    }

    /**
     * {@link #resnetFpnExtractor(ResNet, int, List, ExtraFPNBlock, IntFunction)} with an FPN {@code
     * outChannels} wide.
     *
     * @param backbone the ResNet
     * @param trainableLayers stages left trainable, counted from layer4 (0..5)
     * @param returnedLayers the layers returned, each in [1, 4]; null for all four
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param fpnNormLayer the FPN's normalisation, or null for none
     * @param outChannels the FPN's channels (every level)
     * @return the backbone
     */
    public static BackboneWithFPN resnetFpnExtractor(ResNet backbone, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> fpnNormLayer, int outChannels) {
        if (trainableLayers < 0 || trainableLayers > 5) {
            throw new IllegalArgumentException("Trainable layers should be in the range [0,5], got " + trainableLayers);
        }
        List<String> layersToTrain = new ArrayList<>(List.of("layer4", "layer3", "layer2", "layer1", "conv1")
                .subList(0, trainableLayers));
        if (trainableLayers == 5) {
            layersToTrain.add("bn1");
        }
        for (Map.Entry<String, Parameter> p : backbone.namedParameters().entrySet()) {
            if (layersToTrain.stream().noneMatch(p.getKey()::startsWith)) {
                p.getValue().freeze(true);
            }
        }
        List<Integer> returned = returnedLayers == null ? List.of(1, 2, 3, 4) : returnedLayers;
        if (returned.isEmpty() || returned.stream().anyMatch(k -> k <= 0 || k >= 5)) {
            throw new IllegalArgumentException("Each returned layer should be in the range [1,4]. Got " + returned);
        }
        Map<String, String> returnLayers = new LinkedHashMap<>();
        List<Integer> inChannels = new ArrayList<>();
        int stage2 = backbone.featureChannels() / 8;
        for (int v = 0; v < returned.size(); v++) {
            int k = returned.get(v);
            returnLayers.put("layer" + k, Integer.toString(v));
            inChannels.add(stage2 * (1 << (k - 1)));
        }
        return new BackboneWithFPN(backbone, returnLayers, inChannels, outChannels, extraBlocks, fpnNormLayer);
    }

    /**
     * {@code mobilenet_backbone(backbone_name=name, weights=None, fpn=fpn)} with torchvision's defaults:
     * FrozenBatchNorm2d, 2 trainable stages, the last two stages returned, {@link LastLevelMaxPool}.
     *
     * @param name {@code mobilenet_v2}, {@code mobilenet_v3_large} or {@code mobilenet_v3_small}
     * @param fpn true for a {@link BackboneWithFPN}; false for {@code features} then a 1x1 convolution to 256
     *     channels
     * @return the backbone
     */
    public static Module mobilenetBackbone(String name, boolean fpn) {
        return mobilenetBackbone(name, fpn, DEFAULT_MOBILENET_TRAINABLE_LAYERS, null, null, null);
    }

    /**
     * {@code mobilenet_backbone}.
     *
     * @param name {@code mobilenet_v2}, {@code mobilenet_v3_large} or {@code mobilenet_v3_small}
     * @param fpn true for a {@link BackboneWithFPN}; false for {@code features} then a 1x1 convolution
     * @param trainableLayers stages left trainable, counted from the last (0 .. number of stages)
     * @param returnedLayers stage numbers returned to the FPN; null for the last two
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param normLayer the MobileNet's normalisation; null for {@link FrozenBatchNorm2d}
     * @return the backbone
     * @throws IllegalArgumentException with torchvision's message for bad layer counts, or naming the known
     *     MobileNets
     */
    public static Module mobilenetBackbone(String name, boolean fpn, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> normLayer) {
        return mobilenetBackbone(name, fpn, trainableLayers, returnedLayers, extraBlocks, normLayer, OUT_CHANNELS);
    }

    /**
     * {@link #mobilenetBackbone(String, boolean, int, List, ExtraFPNBlock, IntFunction)} with {@code
     * outChannels} output channels (the FPN's, or the 1x1 convolution's without one) instead of 256.
     *
     * @param name {@code mobilenet_v2}, {@code mobilenet_v3_large} or {@code mobilenet_v3_small}
     * @param fpn true for a {@link BackboneWithFPN}; false for {@code features} then a 1x1 convolution
     * @param trainableLayers stages left trainable, counted from the last (0 .. number of stages)
     * @param returnedLayers stage numbers returned to the FPN; null for the last two
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param normLayer the MobileNet's normalisation; null for {@link FrozenBatchNorm2d}
     * @param outChannels the output channels
     * @return the backbone
     */
    public static Module mobilenetBackbone(String name, boolean fpn, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> normLayer, int outChannels) {
        IntFunction<Block> norm = normLayer == null ? FrozenBatchNorm2d::new : normLayer;
        MobileNetFeatures model;
        switch (name == null ? "" : name) {
            case "mobilenet_v2":
                model = new MobileNetV2(1000, 1.0, 0.2f, norm);
                break;
            case "mobilenet_v3_large":
                model = MobileNetV3.large(norm);
                break;
            case "mobilenet_v3_small":
                model = MobileNetV3.small(norm);
                break;
            default:
                throw new IllegalArgumentException("unknown MobileNet '" + name + "'; known: " + String.join(", ",
                        MOBILENETS));
        }
        return mobilenetExtractor(model, fpn, trainableLayers, returnedLayers, extraBlocks, null, outChannels);
    }

    /**
     * torchvision's {@code _mobilenet_extractor}: freezes the feature blocks before the last {@code
     * trainableLayers} stages, then wraps {@code features}.
     *
     * @param model the MobileNet
     * @param fpn true for a {@link BackboneWithFPN}
     * @param trainableLayers stages left trainable (0 .. number of stages)
     * @param returnedLayers stage numbers returned; null for the last two
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param fpnNormLayer the FPN's normalisation, or null for none
     * @return the backbone
     */
    public static Module mobilenetExtractor(MobileNetFeatures model, boolean fpn, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> fpnNormLayer) {
        return mobilenetExtractor(model, fpn, trainableLayers, returnedLayers, extraBlocks, fpnNormLayer, OUT_CHANNELS);
    }

    /**
     * {@link #mobilenetExtractor(MobileNetFeatures, boolean, int, List, ExtraFPNBlock, IntFunction)} with
     * {@code outChannels} output channels instead of 256.
     *
     * @param model the MobileNet
     * @param fpn true for a {@link BackboneWithFPN}
     * @param trainableLayers stages left trainable (0 .. number of stages)
     * @param returnedLayers stage numbers returned; null for the last two
     * @param extraBlocks the FPN's extra levels; null for {@link LastLevelMaxPool}
     * @param fpnNormLayer the FPN's normalisation, or null for none
     * @param outChannels the output channels
     * @return the backbone
     */
    public static Module mobilenetExtractor(MobileNetFeatures model, boolean fpn, int trainableLayers,
            List<Integer> returnedLayers, ExtraFPNBlock extraBlocks, IntFunction<Block> fpnNormLayer, int outChannels) {
        if (outChannels < 1) {
            throw new IllegalArgumentException("the backbone's output channels must be positive, got " + outChannels);
        }
        Sequential features = model.features();
        List<Integer> stages = model.stageIndices();
        int numStages = stages.size();
        if (trainableLayers < 0 || trainableLayers > numStages) {
            throw new IllegalArgumentException("Trainable layers should be in the range [0," + numStages + "], got "
                    + trainableLayers + " ");
        }
        int freezeBefore = trainableLayers == 0 ? features.size() : stages.get(numStages - trainableLayers);
        List<Pair<String, Block>> blocks = features.namedChildren();
        for (int i = 0; i < freezeBefore; i++) {
            Block b = blocks.get(i).getValue();
            for (Parameter p : ((Module) b).namedParameters().values()) {
                p.freeze(true);
            }
        }
        if (!fpn) {
            Conv2d conv = Conv2d.builder().setInChannels(model.outChannels(features.size() - 1))
                    .setOutChannels(outChannels).setKernelSize(1).build();
            return new Sequential(features, conv);
        }
        List<Integer> returned = returnedLayers == null ? List.of(numStages - 2, numStages - 1) : returnedLayers;
        if (returned.isEmpty() || returned.stream().anyMatch(k -> k < 0 || k >= numStages)) {
            throw new IllegalArgumentException("Each returned layer should be in the range [0," + (numStages - 1)
                    + "], got " + returned + " ");
        }
        Map<String, String> returnLayers = new LinkedHashMap<>();
        List<Integer> inChannels = new ArrayList<>();
        for (int v = 0; v < returned.size(); v++) {
            int index = stages.get(returned.get(v));
            returnLayers.put(Integer.toString(index), Integer.toString(v));
            inChannels.add(model.outChannels(index));
        }
        return new BackboneWithFPN(features, returnLayers, inChannels, outChannels, extraBlocks, fpnNormLayer);
    }

    /**
     * The backbone traced, as torchvision's backbones run under TorchScript or a GraphModule: an
     * extractor of its {@code fpn} node, whose outputs are the levels named {@code fpn.0 .. fpn.pool}.
     * It frees every intermediate at its last use, where the eager (DJL-style) forward keeps them all
     * until the forward's manager closes (gigabytes at detection sizes). Parameters are shared with
     * {@code backbone}. Like every extractor, its evaluation passes fold the batch norms into their
     * convolutions ({@link FeatureExtractor#foldBatchNorms(boolean)}).
     *
     * @param backbone the backbone (a {@link BackboneWithFPN} or any module with an {@code fpn} node)
     * @return the extractor
     */
    public static FeatureExtractor traced(Module backbone) {
        return FeatureExtraction.createFeatureExtractor(backbone, ReturnNodes.of(List.of("fpn")),
                TraceOptions.builder().suppressDiffWarning(true).build());
    }
}
