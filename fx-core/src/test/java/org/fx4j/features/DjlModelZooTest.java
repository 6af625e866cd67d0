package org.fx4j.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.basicmodelzoo.cv.classification.MobileNetV2;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.SequentialBlock;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.fx4j.fx.TraceOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * DJL model-zoo models trace structurally, and an extractor returning the last node under each
 * top-level child equals what {@code SequentialBlock.setReturnIntermediate(true)} returns.
 */
class DjlModelZooTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(3);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("ResNetV1-18", ResNetV1.builder().setImageShape(new Shape(3, 32, 32)).setNumLayers(18).setOutSize(10).build()),
                Arguments.of("ResNetV1-50", ResNetV1.builder().setImageShape(new Shape(3, 32, 32)).setNumLayers(50).setOutSize(10).build()),
                Arguments.of("MobileNetV2", MobileNetV2.builder().setOutSize(10).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void extractedFeaturesEqualReturnIntermediate(String name, Block block) {
        SequentialBlock model = (SequentialBlock) block;
        Shape input = new Shape(2, 3, 32, 32);
        model.initialize(manager, DataType.FLOAT32, input);
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(model);
        assertEquals(names.train(), names.eval(), "DJL blocks trace the same in both modes");
        assertTrue(names.eval().size() > model.getChildren().size(), name + " is traced through: " + names.eval());

        List<String> children = new ArrayList<>(model.getChildren().keys());
        FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(
                model, ReturnNodes.of(children), TraceOptions.defaults());
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.randomUniform(0, 1, input);
            model.setReturnIntermediate(true);
            NDList expected;
            try {
                expected = model.forward(new ParameterStore(m, false), new NDList(x), false);
            } finally {
                model.setReturnIntermediate(false);
            }
            NDList actual = fx.forward(new ParameterStore(m, false), new NDList(x), false);
            assertEquals(expected.size(), actual.size());
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(children.get(i), actual.get(i).getName());
                assertArrayEquals(expected.get(i).toFloatArray(), actual.get(i).toFloatArray(), 0f, name + " " + children.get(i));
            }
        }
    }
}
