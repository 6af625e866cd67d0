package org.fx4j.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.SequentialBlock;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.basicmodelzoo.cv.classification.ResNetV1;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fx4j.descriptors.Descriptors;
import org.fx4j.descriptors.Pooling;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.junit.jupiter.api.Test;

/** An extractor behind DJL's Criteria / ZooModel / Predictor: same numbers as calling it directly, from any thread. */
class DescriptorTranslatorTest {

    @Test
    void predictorsGiveTheDirectDescriptorsFromFourThreads() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            SequentialBlock model = (SequentialBlock) ResNetV1.builder().setImageShape(new Shape(3, 48, 48))
                    .setNumLayers(18).setOutSize(10).build();
            model.initialize(m, DataType.FLOAT32, new Shape(1, 3, 48, 48));
            List<String> nodes = FeatureExtraction.getGraphNodeNames(model).eval();
            String node = nodes.get(nodes.size() / 2); // a map from the middle of the network
            FeatureExtractor extractor = FeatureExtraction.createFeatureExtractor(model, List.of(node));
            ImageClassificationPreprocessing pre = ImageClassificationPreprocessing.imagenet(56, 48);
            DescriptorTranslator translator = new DescriptorTranslator(extractor, node, Pooling.gem(3), pre);

            List<Image> images = new ArrayList<>();
            List<float[]> direct = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                NDArray hwc = m.randomInteger(0, 256, new Shape(50 + 7 * i, 64 - 3 * i, 3), DataType.UINT8);
                images.add(ImageFactory.getInstance().fromNDArray(hwc));
                try (NDManager s = m.newSubManager()) {
                    NDArray x = pre.transform(images.get(i).toNDArray(s, Image.Flag.COLOR).transpose(2, 0, 1))
                            .expandDims(0);
                    NDArray map = extractor.extract(x).get(node);
                    assertEquals(4, map.getShape().dimension(), node + " gives a map");
                    direct.add(Descriptors.rows(Descriptors.describe(map, Pooling.gem(3)))[0]);
                }
            }
            try (ZooModel<Image, float[]> zoo = ExtractorModels.load(extractor, translator, Image.class,
                    float[].class)) {
                try (Predictor<Image, float[]> p = zoo.newPredictor()) {
                    for (int i = 0; i < images.size(); i++) {
                        assertArrayEquals(direct.get(i), p.predict(images.get(i)), "predict, image " + i);
                    }
                    List<float[]> batch = p.batchPredict(images.subList(0, 1));
                    assertArrayEquals(direct.get(0), batch.get(0), "batchPredict of one image");
                    List<float[]> all = p.batchPredict(images); // one stacked batch of 6
                    assertEquals(images.size(), all.size());
                    for (int i = 0; i < images.size(); i++) {
                        assertArrayEquals(direct.get(i), all.get(i), 1e-5f, "batchPredict, image " + i);
                    }
                }
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<List<float[]>>> runs = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        int shift = t;
                        runs.add(pool.submit(() -> {
                            List<float[]> out = new ArrayList<>();
                            try (Predictor<Image, float[]> p = zoo.newPredictor()) { // one predictor per thread
                                for (int k = 0; k < images.size(); k++) {
                                    out.add(p.predict(images.get((k + shift) % images.size())));
                                }
                            }
                            return out;
                        }));
                    }
                    for (int t = 0; t < 4; t++) {
                        List<float[]> out = runs.get(t).get();
                        for (int k = 0; k < images.size(); k++) {
                            assertArrayEquals(direct.get((k + t) % images.size()), out.get(k),
                                    "thread " + t + ", image " + (k + t) % images.size());
                        }
                    }
                } finally {
                    pool.shutdown();
                }
            }
            // closing the model leaves the extractor's weights to their owner
            try (NDManager s = m.newSubManager()) {
                NDArray x = pre.transform(images.get(0).toNDArray(s, Image.Flag.COLOR).transpose(2, 0, 1))
                        .expandDims(0);
                assertArrayEquals(direct.get(0), Descriptors.rows(Descriptors.describe(extractor.extract(x).get(node),
                        Pooling.gem(3)))[0], "the extractor still runs after the model is closed");
            }
            float[] unit = direct.get(0);
            double norm = 0;
            for (float v : unit) {
                norm += v * v;
            }
            assertEquals(1, norm, 1e-5);
        }
    }

    @Test
    void anUnknownNodeIsNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            SequentialBlock model = (SequentialBlock) ResNetV1.builder().setImageShape(new Shape(3, 32, 32))
                    .setNumLayers(18).setOutSize(10).build();
            model.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            List<String> nodes = FeatureExtraction.getGraphNodeNames(model).eval();
            FeatureExtractor extractor = FeatureExtraction.createFeatureExtractor(model, List.of(nodes.get(3)));
            String message = assertThrows(IllegalArgumentException.class, () -> new DescriptorTranslator(extractor,
                    "layer9", Pooling.avg(), ImageClassificationPreprocessing.imagenet(32, 32))).getMessage();
            assertTrue(message.contains("'layer9' is not an output of the extractor; its outputs are ["), message);
        }
    }
}
