package org.fx4j.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslatorContext;
import java.util.List;
import org.fx4j.descriptors.Descriptors;
import org.fx4j.descriptors.Pooling;
import org.fx4j.features.FeatureExtractor;

/**
 * A DJL {@link ai.djl.translate.Translator} from an image to a descriptor, for a {@link FeatureExtractor} loaded as a
 * DJL model ({@code Criteria.builder().optBlock(extractor)}, see {@link ExtractorModels}): the image
 * goes through {@link ImageClassificationPreprocessing}, the extractor runs (images of a {@code
 * batchPredict} stacked into one batch), and one of its outputs is pooled and L2-normalised into a
 * {@code float[]}. Stateless: one instance serves every predictor and thread.
 */
public final class DescriptorTranslator extends ImageTranslator<float[]> {

    private final int outputIndex;
    private final Pooling pooling;

    /**
     * Creates the translator.
     *
     * @param extractor the extractor the model runs (for its output order)
     * @param node the output to describe, one of {@code extractor.outputNames()}
     * @param pooling how the node's map becomes a vector
     * @param preprocessing what the images go through first
     * @throws IllegalArgumentException naming the outputs if {@code node} is not one
     */
    public DescriptorTranslator(FeatureExtractor extractor, String node, Pooling pooling,
            ImageClassificationPreprocessing preprocessing) {
        super(preprocessing);
        if (extractor == null || node == null || pooling == null || preprocessing == null) {
            throw new IllegalArgumentException("a descriptor translator needs an extractor, a node, a pooling and a"
                    + " preprocessing; got null for " + (extractor == null ? "the extractor" : node == null ? "the node"
                    : pooling == null ? "the pooling" : "the preprocessing"));
        }
        List<String> outputs = extractor.outputNames(false);
        this.outputIndex = outputs.indexOf(node);
        if (outputIndex < 0) {
            throw new IllegalArgumentException("'" + node + "' is not an output of the extractor; its outputs are "
                    + outputs);
        }
        this.pooling = pooling;
    }

    /** {@inheritDoc} */
    @Override
    public float[] processOutput(TranslatorContext ctx, NDList list) {
        NDArray map = list.get(outputIndex).expandDims(0);
        return Descriptors.rows(Descriptors.describe(map, pooling))[0];
    }
}
