package org.fx4j.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import ai.djl.translate.TranslateException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fx4j.descriptors.Pooling;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file or an HWC uint8 array gives the descriptor of the same picture given as a DJL Image. */
class ImageInputsTest {

    @Test
    void pathsAndArraysGiveTheImagesDescriptor(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(2);
            SequentialBlock model = (SequentialBlock) ResNetV1.builder().setImageShape(new Shape(3, 32, 32))
                    .setNumLayers(18).setOutSize(10).build();
            model.initialize(m, DataType.FLOAT32, new Shape(1, 3, 32, 32));
            List<String> nodes = FeatureExtraction.getGraphNodeNames(model).eval();
            String node = nodes.get(nodes.size() / 2);
            FeatureExtractor extractor = FeatureExtraction.createFeatureExtractor(model, List.of(node));
            DescriptorTranslator images = new DescriptorTranslator(extractor, node, Pooling.avg(),
                    ImageClassificationPreprocessing.imagenet(36, 32));
            NDArray hwc = m.randomInteger(0, 256, new Shape(40, 52, 3), DataType.UINT8);
            Image image = ImageFactory.getInstance().fromNDArray(hwc);
            Path png = dir.resolve("a.png");
            try (OutputStream out = Files.newOutputStream(png)) {
                image.save(out, "png");
            }
            float[] want;
            try (ZooModel<Image, float[]> zoo = ExtractorModels.load(extractor, images, Image.class, float[].class);
                    Predictor<Image, float[]> p = zoo.newPredictor()) {
                want = p.predict(image);
            }
            try (ZooModel<Path, float[]> zoo = ExtractorModels.load(extractor, ImageInputs.fromPaths(images), Path.class,
                    float[].class); Predictor<Path, float[]> p = zoo.newPredictor()) {
                assertArrayEquals(want, p.predict(png), "from a PNG file");
                Path broken = dir.resolve("broken.jpg");
                Files.writeString(broken, "not a jpeg");
                TranslateException e = assertThrows(TranslateException.class, () -> p.predict(broken));
                assertTrue(String.valueOf(e.getMessage()).contains("cannot read the image " + broken)
                        || String.valueOf(e.getCause()).contains("cannot read the image " + broken), e.toString());
            }
            try (ZooModel<NDArray, float[]> zoo = ExtractorModels.load(extractor, ImageInputs.fromArrays(images),
                    NDArray.class, float[].class); Predictor<NDArray, float[]> p = zoo.newPredictor()) {
                assertArrayEquals(want, p.predict(hwc), "from an HWC uint8 array");
                assertArrayEquals(new Shape(40, 52, 3).getShape(), hwc.getShape().getShape(), "input left alone");
            }
        }
    }
}
