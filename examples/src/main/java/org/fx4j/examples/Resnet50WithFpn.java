package org.fx4j.examples;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.DetectionBackbone;
import org.fx4j.detection.FeaturePyramidNetwork;
import org.fx4j.detection.LastLevelMaxPool;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.FeatureInfo;
import org.fx4j.models.ResNet;
import org.fx4j.models.ResNets;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * The example of torchvision's feature-extraction documentation, in Java: a resnet50 {@code body}
 * that returns layer1..layer4 as {@code "0".."3"}, the FPN's input channels from a dry run, and an
 * FPN of 256 channels with a max-pooled extra level. Its graph nodes are torchvision's (174, with the
 * re-traced extractor's {@code body.add_13} and one {@code fpn} node). As a {@link DetectionBackbone}
 * it carries a Mask R-CNN: {@code new MaskRCNN(new Resnet50WithFpn(manager), 91)}.
 */
public final class Resnet50WithFpn extends Module implements DetectionBackbone {

    /** The pyramid's channels. */
    public static final int OUT_CHANNELS = 256;

    private final FeatureExtractor body;
    private final FeaturePyramidNetwork fpn;

    /**
     * Builds and initialises the model (torchvision initialises in its constructor; so does this).
     *
     * @param manager owns the parameters
     */
    public Resnet50WithFpn(NDManager manager) {
        // Get a resnet50 backbone.
        ResNet m = ResNets.resnet50();
        m.initialize(manager);
        // Extract 4 main layers (Mask R-CNN needs this name mapping for the return nodes).
        Map<String, String> returnNodes = new LinkedHashMap<>();
        for (int k = 1; k <= 4; k++) {
            returnNodes.put("layer" + k, Integer.toString(k - 1));
        }
        body = register("body", FeatureExtraction.createFeatureExtractor(m, returnNodes));
        // Dry run to get the number of channels for the FPN.
        List<Integer> inChannelsList = new ArrayList<>();
        for (long c : FeatureInfo.of(body, new Shape(2, 3, 224, 224)).channels()) {
            inChannelsList.add((int) c);
        }
        // Build the FPN.
        fpn = register("fpn", new FeaturePyramidNetwork(inChannelsList, OUT_CHANNELS, new LastLevelMaxPool()));
        fpn.initialize(manager);
    }

    /**
     * Returns the pyramid's channels, torchvision's {@code self.out_channels = 256}: what lets {@code new
     * MaskRCNN(new Resnet50WithFpn(manager), 91)} build its heads.
     *
     * @return 256
     */
    @Override
    public int outChannels() {
        return OUT_CHANNELS;
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList x) {
        return fpn.call(ctx, body.call(ctx, x));
    }
}
