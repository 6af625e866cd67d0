package org.fx4j.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.repository.zoo.ZooModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.junit.jupiter.api.Test;

/** Named feature maps through DJL's Predictor: the extractor's own outputs, per image, by name. */
class FeatureMapTranslatorTest {

    @Test
    void predictorsGiveTheExtractorsOutputsByName() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            SequentialBlock model = (SequentialBlock) ResNetV1.builder().setImageShape(new Shape(3, 40, 40))
                    .setNumLayers(18).setOutSize(10).build();
            model.initialize(m, DataType.FLOAT32, new Shape(1, 3, 40, 40));
            List<String> nodes = FeatureExtraction.getGraphNodeNames(model).eval();
            List<String> chosen = List.of(nodes.get(nodes.size() / 3), nodes.get(2 * nodes.size() / 3));
            FeatureExtractor extractor = FeatureExtraction.createFeatureExtractor(model, chosen);
            ImageClassificationPreprocessing pre = ImageClassificationPreprocessing.imagenet(44, 40);

            List<Image> images = new ArrayList<>();
            List<Map<String, NDArray>> direct = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                NDArray hwc = m.randomInteger(0, 256, new Shape(45 + 9 * i, 60 - 5 * i, 3), DataType.UINT8);
                images.add(ImageFactory.getInstance().fromNDArray(hwc));
                NDArray x = pre.transform(images.get(i).toNDArray(m, Image.Flag.COLOR).transpose(2, 0, 1)).expandDims(0);
                direct.add(extractor.extract(x));
            }
            FeatureMapTranslator translator = new FeatureMapTranslator(extractor, pre);
            try (ZooModel<Image, FeatureMaps> zoo = ExtractorModels.load(extractor, translator, Image.class,
                    FeatureMaps.class); Predictor<Image, FeatureMaps> p = zoo.newPredictor()) {
                List<FeatureMaps> batch = p.batchPredict(images);
                for (int i = 0; i < images.size(); i++) {
                    FeatureMaps one = p.predict(images.get(i));
                    assertEquals(chosen, one.names());
                    for (String node : chosen) {
                        NDArray want = direct.get(i).get(node).get(0);
                        assertArrayEquals(want.getShape().getShape(), one.get(node).shape(), node);
                        assertArrayEquals(want.toFloatArray(), one.get(node).values(), node + ", image " + i);
                        // a batch of 3 may take another convolution algorithm: 1e-5 of the largest value
                        float[] w = want.toFloatArray();
                        float scale = want.abs().max().getFloat();
                        assertArrayEquals(w, batch.get(i).get(node).values(), 1e-5f * scale,
                                node + ", batchPredict image " + i);
                    }
                }
                FeatureMaps first = p.predict(images.get(0));
                String message = assertThrows(IllegalArgumentException.class, () -> first.get("fc")).getMessage();
                assertTrue(message.contains("no feature map named 'fc'; the outputs are " + chosen), message);
            }
        }
    }

    @Test
    void aFeatureMapChecksItsShape() {
        String message = assertThrows(IllegalArgumentException.class,
                () -> new FeatureMap("layer1", new long[] {2, 3}, new float[5])).getMessage();
        assertEquals("the feature map 'layer1' has shape [2, 3] (6 values) but 5 values were given", message);
        float[] values = {1, 2};
        FeatureMap map = new FeatureMap("x", new long[] {2}, values);
        values[0] = 9;
        assertEquals(1f, map.values()[0], "the map keeps its own copy");
        assertThrows(IllegalArgumentException.class, () -> new FeatureMaps(List.of(map, map)));
    }
}
