package org.fx4j.detection;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.fx4j.models.ResNet;
import org.fx4j.models.ResNets;
import org.fx4j.nn.FrozenBatchNorm2d;

/**
 * torchvision's {@code detection.backbone_utils}: {@link #resnetFpnBackbone} builds a ResNet with
 * frozen batch norms, freezes all but its last {@code trainableLayers} stages and puts an FPN of 256
 * channels on the returned layers. Freezing means no gradient and no optimiser update for those
 * parameters. Weights come from a file you load afterwards (torchvision's state dict loads strictly).
 */
public final class DetectionBackbones {

    /** torchvision's defaults: three trainable stages, layers 1..4 returned. */
    public static final int DEFAULT_TRAINABLE_LAYERS = 3;

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
        ResNet backbone = ResNets.builder(name)
                .optNormLayer(normLayer == null ? FrozenBatchNorm2d::new : normLayer).build();
        return resnetFpnExtractor(backbone, trainableLayers, returnedLayers, extraBlocks, null);
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
        return new BackboneWithFPN(backbone, returnLayers, inChannels, 256, extraBlocks, fpnNormLayer);
    }
}
