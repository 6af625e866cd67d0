package org.fx4j.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.FeatureInfo;
import org.fx4j.features.FeatureStages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** FeatureInfo and stage selection by shape propagation: ResNets, channels-last Swin, ViT tokens. */
class FeatureInfoTest {

    private static NDManager manager;
    private static ResNet resnet50;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(0);
        resnet50 = ResNets.resnet50();
        resnet50.initialize(manager);
        resnet50.eval();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    @Test
    void resnetStagesAreTheStemAndTheFourLayers() {
        assertEquals(List.of("relu", "layer1.2.relu_2", "layer2.3.relu_2", "layer3.5.relu_2", "layer4.2.relu_2"),
                FeatureStages.stageNodes(resnet50));
    }

    @Test
    void featureInfoGivesChannelsReductionsAndModules() {
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(resnet50, List.of("layer1", "layer2", "layer3", "layer4", "fc"));
        FeatureInfo info = FeatureInfo.of(fx);
        assertEquals(List.of(256L, 512L, 1024L, 2048L, 1000L), info.channels());
        assertEquals(List.of(4, 8, 16, 32, 0), info.reductions());
        assertEquals(List.of("layer1.2.relu", "layer2.3.relu", "layer3.5.relu", "layer4.2.relu", "fc"), info.modules());
        assertEquals("layer4.2.relu_2", info.entries().get(3).node());
    }

    @Test
    void dilationChangesTheReductionsItFinds() {
        ResNet dilated = ResNet.builder().setBottleneck().setLayers(1, 1, 1, 1)
                .optReplaceStrideWithDilation(false, true, true).build();
        dilated.initialize(manager);
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(dilated, List.of("layer1", "layer2", "layer3", "layer4"));
        assertEquals(List.of(4, 8, 8, 8), FeatureInfo.of(fx).reductions());
        assertEquals(List.of("relu", "layer1.0.relu_2", "layer4.0.relu_2"), FeatureStages.stageNodes(dilated),
                "one stage per reduction: the dilated layers share stride 8");
    }

    @Test
    void outIndicesPickStagesTimmStyle() {
        ResNet r18 = ResNets.resnet18();
        r18.initialize(manager);
        FeatureExtractor positive = FeatureStages.createFeatureExtractor(r18, 1, 2, 3, 4);
        FeatureExtractor negative = FeatureStages.createFeatureExtractor(r18, -4, -3, -2, -1);
        assertEquals(positive.outputNames(), negative.outputNames());
        assertEquals(List.of("layer1.1.relu_1", "layer2.1.relu_1", "layer3.1.relu_1", "layer4.1.relu_1"),
                positive.outputNames());
        assertEquals(List.of(64L, 128L, 256L, 512L), FeatureInfo.of(positive).channels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureStages.createFeatureExtractor(r18, 5));
        assertTrue(e.getMessage().contains("Stage index 5 is out of range") && e.getMessage().contains("has 5 stages"),
                e.getMessage());
    }

    @Test
    void swinStagesAreChannelsLastAndSeenAsSuch() {
        SwinTransformer swin = SwinTransformer.tiny();
        swin.initialize(manager);
        List<String> stages = FeatureStages.stageNodes(swin);
        assertEquals(List.of("features.1.1.add_1", "features.3.1.add_1", "features.5.5.add_1", "permute"), stages);
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(swin, stages);
        FeatureInfo info = FeatureInfo.of(fx);
        assertEquals(List.of(96L, 192L, 384L, 768L), info.channels());
        assertEquals(List.of(4, 8, 16, 32), info.reductions());
        assertEquals(List.of(true, true, true, false),
                info.entries().stream().map(FeatureInfo.Entry::channelsLast).collect(java.util.stream.Collectors.toList()));
    }

    @Test
    void vitTokensHaveTheirChannelsLastAndNoReduction() {
        VisionTransformer vit = VisionTransformer.vitB32();
        vit.initialize(manager);
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(vit, List.of("conv_proj", "encoder.ln", "heads.head"));
        FeatureInfo info = FeatureInfo.of(fx, new ai.djl.ndarray.types.Shape(1, 3, 224, 224));
        assertEquals(List.of(768L, 768L, 1000L), info.channels());
        assertEquals(List.of(32, 0, 0), info.reductions());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FeatureInfo.of(fx));
        assertTrue(e.getMessage().contains("Wrong image height! Expected 224 but got 256!"), e.getMessage());
    }
}
