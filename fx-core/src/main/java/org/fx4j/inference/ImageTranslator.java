package org.fx4j.inference;

import ai.djl.modality.cv.Image;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;

/**
 * The input side shared by fx4j's image translators: an image through {@link
 * ImageClassificationPreprocessing}, gradient recording off in the predictor's thread, and the
 * images of a {@code batchPredict} stacked into one batch.
 *
 * @param <O> the output type
 */
abstract class ImageTranslator<O> implements Translator<Image, O> {

    private final ImageClassificationPreprocessing preprocessing;

    ImageTranslator(ImageClassificationPreprocessing preprocessing) {
        this.preprocessing = preprocessing;
    }

    /** {@inheritDoc} */
    @Override
    public final NDList processInput(TranslatorContext ctx, Image input) {
        // inference: no autograd graph (libtorch records one by default in threads other than DJL's first)
        JniUtils.setGradMode(false);
        return new NDList(preprocessing.transform(input, ctx.getNDManager()));
    }

    /** {@inheritDoc} */
    @Override
    public final Batchifier getBatchifier() {
        return Batchifier.STACK;
    }
}
