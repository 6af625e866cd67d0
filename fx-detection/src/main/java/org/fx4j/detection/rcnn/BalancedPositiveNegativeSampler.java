package org.fx4j.detection.rcnn;

import java.util.Random;

/**
 * torchvision's {@code BalancedPositiveNegativeSampler}: per image, at most {@code batchSizePerImage
 * * positiveFraction} positives (labels >= 1) and the rest of {@code batchSizePerImage} from the
 * negatives (label 0), chosen uniformly at random; labels -1 are never chosen. The random source is
 * the caller's, so a seeded one gives the same samples every run (torchvision draws with {@code
 * randperm}, whose choices fx4j does not reproduce; with sizes that take every candidate the two
 * agree exactly).
 */
public final class BalancedPositiveNegativeSampler {

    private final int batchSizePerImage;
    private final double positiveFraction;
    private final Random random;

    /**
     * Creates a sampler.
     *
     * @param batchSizePerImage samples per image
     * @param positiveFraction the largest share of positives
     * @param random the random source (seed it for reproducible training)
     */
    public BalancedPositiveNegativeSampler(int batchSizePerImage, double positiveFraction, Random random) {
        if (batchSizePerImage <= 0 || !(positiveFraction >= 0 && positiveFraction <= 1)) {
            throw new IllegalArgumentException("the sampler needs batch_size_per_image > 0 and positive_fraction in"
                    + " [0, 1], got " + batchSizePerImage + " and " + positiveFraction);
        }
        this.batchSizePerImage = batchSizePerImage;
        this.positiveFraction = positiveFraction;
        this.random = random;
    }

    /**
     * Samples one image's candidates.
     *
     * @param labels per candidate: >= 1 positive, 0 negative, < 0 ignored
     * @return {positive mask, negative mask}
     */
    public boolean[][] sample(long[] labels) {
        int positives = 0;
        int negatives = 0;
        for (long l : labels) {
            if (l >= 1) {
                positives++;
            } else if (l == 0) {
                negatives++;
            }
        }
        int numPos = Math.min(positives, (int) (batchSizePerImage * positiveFraction));
        int numNeg = Math.min(negatives, batchSizePerImage - numPos);
        return new boolean[][] {choose(labels, true, positives, numPos), choose(labels, false, negatives, numNeg)};
    }

    /** A uniformly random subset of size k of the positives (or negatives): a partial Fisher-Yates shuffle. */
    private boolean[] choose(long[] labels, boolean positive, int count, int k) {
        int[] candidates = new int[count];
        int c = 0;
        for (int i = 0; i < labels.length; i++) {
            if (positive ? labels[i] >= 1 : labels[i] == 0) {
                candidates[c++] = i;
            }
        }
        boolean[] mask = new boolean[labels.length];
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(count - i);
            int t = candidates[i];
            candidates[i] = candidates[j];
            candidates[j] = t;
            mask[candidates[i]] = true;
        }
        return mask;
    }
}
