package org.fx4j.inference;

import ai.djl.MalformedModelException;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fx4j.features.FeatureExtractor;

/**
 * Loads a {@link FeatureExtractor} as a DJL {@link ZooModel} through {@link Criteria}, so that it
 * runs through DJL's {@code Predictor} API ({@code predict}, {@code batchPredict}, one predictor per
 * thread). The extractor's weights are already in its parameters (from {@code Checkpoints.load}):
 * the model is created with DJL's {@code hasParameter=false} option and reads no file.
 */
public final class ExtractorModels {

    private ExtractorModels() {}

    /**
     * Wraps an extractor in a model.
     *
     * @param extractor the extractor (initialised, weights loaded)
     * @param translator what the model's predictors take and give
     * @param inputType the predictors' input class
     * @param outputType the predictors' output class
     * @param <I> the input type
     * @param <O> the output type
     * @return the model; close it when done (the extractor's own arrays are not closed by it)
     * @throws IOException if DJL cannot set the model up
     */
    public static <I, O> ZooModel<I, O> load(FeatureExtractor extractor, Translator<I, O> translator,
            Class<I> inputType, Class<O> outputType) throws IOException {
        Path dir = Files.createTempDirectory("fx4j-extractor");
        dir.toFile().deleteOnExit();
        Criteria<I, O> criteria = Criteria.builder().setTypes(inputType, outputType).optEngine("PyTorch")
                .optModelPath(dir).optModelName("extractor").optBlock(extractor)
                .optOption("hasParameter", "false").optTranslator(translator).build();
        try {
            return criteria.loadModel();
        } catch (ModelNotFoundException | MalformedModelException e) {
            throw new IOException("DJL could not load the extractor as a model: " + e.getMessage(), e);
        }
    }
}
