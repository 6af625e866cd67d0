package org.fx4j.inference;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Other inputs for the image translators ({@link DescriptorTranslator}, {@link FeatureMapTranslator}):
 * {@link #fromPaths} reads image files, {@link #fromArrays} takes {@code [H, W, 3]} uint8 arrays (as
 * DJL's {@code Image.toNDArray} gives). The wrapped translator does the rest, so the results are those
 * of the same picture given as a DJL {@link Image}.
 */
public final class ImageInputs {

    private ImageInputs() {}

    /**
     * A translator from image files (PNG, JPEG, BMP, GIF: what Java's ImageIO reads).
     *
     * @param images a translator from DJL images
     * @param <O> its output
     * @return the translator; {@code predict} fails with an {@code IOException} naming an unreadable file
     */
    public static <O> Translator<Path, O> fromPaths(Translator<Image, O> images) {
        return new Adapter<>(images, path -> {
            try {
                return ImageFactory.getInstance().fromFile(path);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read the image " + path + ": " + e.getMessage(), e);
            }
        });
    }

    /**
     * A translator from {@code [H, W, 3]} uint8 arrays (RGB, channels last), not modified.
     *
     * @param images a translator from DJL images
     * @param <O> its output
     * @return the translator
     */
    public static <O> Translator<NDArray, O> fromArrays(Translator<Image, O> images) {
        return new Adapter<>(images, array -> ImageFactory.getInstance().fromNDArray(array));
    }

    /** Converts the input to a DJL image, then delegates. */
    private static final class Adapter<I, O> implements Translator<I, O> {
        private final Translator<Image, O> images;
        private final Function<I, Image> convert;

        Adapter(Translator<Image, O> images, Function<I, Image> convert) {
            if (images == null) {
                throw new IllegalArgumentException("an input adapter needs the image translator to wrap; got null");
            }
            this.images = images;
            this.convert = convert;
        }

        @Override
        public NDList processInput(TranslatorContext ctx, I input) throws Exception {
            return images.processInput(ctx, convert.apply(input));
        }

        @Override
        public O processOutput(TranslatorContext ctx, NDList list) throws Exception {
            return images.processOutput(ctx, list);
        }

        @Override
        public Batchifier getBatchifier() {
            return images.getBatchifier();
        }
    }
}
