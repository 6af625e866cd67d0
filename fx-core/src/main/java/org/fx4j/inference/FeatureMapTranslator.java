package org.fx4j.inference;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.translate.TranslatorContext;
import java.util.ArrayList;
import java.util.List;
import org.fx4j.features.FeatureExtractor;

/**
 * A DJL {@link ai.djl.translate.Translator} from an image to an extractor's named outputs ({@link FeatureMaps}), for an
 * extractor loaded through {@link ExtractorModels}: the image goes through {@link
 * ImageClassificationPreprocessing}, the extractor runs (a {@code batchPredict} stacks its images
 * into one batch), and every output is copied out as float32 under its node name. Stateless: one
 * instance serves every predictor and thread.
 */
public final class FeatureMapTranslator extends ImageTranslator<FeatureMaps> {

    private final List<String> names;

    /**
     * Creates the translator.
     *
     * @param extractor the extractor the model runs (for its output names)
     * @param preprocessing what the images go through first
     * @throws IllegalArgumentException if an argument is null
     */
    public FeatureMapTranslator(FeatureExtractor extractor, ImageClassificationPreprocessing preprocessing) {
        super(preprocessing);
        if (extractor == null || preprocessing == null) {
            throw new IllegalArgumentException("a feature-map translator needs an extractor and a preprocessing; got"
                    + " null for " + (extractor == null ? "the extractor" : "the preprocessing"));
        }
        this.names = List.copyOf(extractor.outputNames(false));
    }

    /** {@inheritDoc} */
    @Override
    public FeatureMaps processOutput(TranslatorContext ctx, NDList list) {
        List<FeatureMap> maps = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            NDArray a = list.get(i);
            maps.add(new FeatureMap(names.get(i), a.getShape().getShape(), a.toType(DataType.FLOAT32, false)
                    .toFloatArray()));
        }
        return new FeatureMaps(maps);
    }
}
