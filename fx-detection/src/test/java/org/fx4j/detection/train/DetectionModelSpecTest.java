package org.fx4j.detection.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.junit.jupiter.api.Test;

/** The trained model's description: its JSON form and what it builds. */
class DetectionModelSpecTest {

    private static DetectionModelSpec spec(int fpnChannels) {
        return new DetectionModelSpec("resnet18", 4, 5, List.of("circle", "square", "triangle"), fpnChannels, 96,
                List.of(48, 40), new RcnnConfig().minSize(128).maxSize(160).boxScoreThresh(0.2));
    }

    @Test
    void jsonRoundTripKeepsEverySetting() {
        DetectionModelSpec s = spec(64);
        DetectionModelSpec back = DetectionModelSpec.fromJson(s.toJson(), "test");
        assertEquals(s.toJson(), back.toJson());
        assertEquals(64, back.fpnChannels());
        assertEquals(96, back.boxRepresentation());
        assertEquals(List.of(48, 40), back.maskLayers());
        assertEquals("0.2", back.config().toStrings().get("boxScoreThresh"));
        assertEquals("160", back.config().toStrings().get("maxSize"));
    }

    @Test
    void filesWithoutTheFpnWidthHaveTorchvisions() {
        JsonObject o = JsonParser.parseString(spec(64).toJson()).getAsJsonObject();
        o.remove("fpn_channels");
        assertEquals(256, DetectionModelSpec.fromJson(o.toString(), "old file").fpnChannels());
        assertEquals(256, new DetectionModelSpec("resnet18", 4, 5, List.of("a", "b", "c"), 96, List.of(48),
                new RcnnConfig()).fpnChannels());
    }

    @Test
    void buildsTheFpnAndHeadsAtTheGivenWidths() {
        MaskRCNN model = spec(64).build();
        Map<String, Parameter> p = model.namedParameters();
        assertEquals(new Shape(64, 64, 3, 3), p.get("backbone.fpn.layer_blocks.0.0.weight").getShape());
        assertEquals(new Shape(64, 512, 1, 1), p.get("backbone.fpn.inner_blocks.3.0.weight").getShape());
        assertEquals(new Shape(64, 64, 3, 3), p.get("rpn.head.conv.0.0.weight").getShape());
        assertEquals(new Shape(96, 64 * 7 * 7), p.get("roi_heads.box_head.fc6.weight").getShape());
        assertEquals(new Shape(48, 64, 3, 3), p.get("roi_heads.mask_head.0.0.weight").getShape());
        assertEquals(new Shape(40, 48, 3, 3), p.get("roi_heads.mask_head.1.0.weight").getShape());
        assertEquals(new Shape(4, 40, 1, 1), p.get("roi_heads.mask_predictor.mask_fcn_logits.weight").getShape());
    }

    @Test
    void mobileNetTakesTheWidthToo() {
        Map<String, Parameter> p = new DetectionModelSpec("mobilenet_v3_large", 3, 6, List.of("a", "b"), 32, 64,
                List.of(16), new RcnnConfig()).build().namedParameters();
        assertEquals(new Shape(32, 32, 3, 3), p.get("backbone.fpn.layer_blocks.0.0.weight").getShape());
        assertEquals(new Shape(32, 32, 3, 3), p.get("rpn.head.conv.0.0.weight").getShape());
        assertEquals(new Shape(64, 32 * 7 * 7), p.get("roi_heads.box_head.fc6.weight").getShape());
        assertEquals(new Shape(16, 32, 3, 3), p.get("roi_heads.mask_head.0.0.weight").getShape());
    }

    @Test
    void withConfigKeepsTheArchitecture() {
        DetectionModelSpec s = spec(64).withConfig(new RcnnConfig().boxScoreThresh(0.5));
        assertEquals(64, s.fpnChannels());
        assertEquals(96, s.boxRepresentation());
        assertEquals("0.5", s.config().toStrings().get("boxScoreThresh"));
    }

    @Test
    void refusesANonPositiveFpnWidth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> spec(0));
        assertTrue(e.getMessage().contains("FPN's channels must be positive, got 0"), e.getMessage());
    }
}
