package org.fx4j.detection.train;

/**
 * The learning rate over training, as torchvision's detection references set it: a linear warm-up
 * from {@code warmupFactor * base} over the first {@code warmupIterations} iterations, then either a
 * cosine decay to 0 or steps of {@code gamma} at given fractions. The decay runs on the fraction of
 * the training done, so a wall-time budget and an epoch count drive the same schedule.
 */
public final class LearningRateSchedule {

    /** The decay after warm-up. */
    public enum Kind {
        /** Half a cosine from the base rate to 0. */
        COSINE,
        /** Multiplied by gamma at each milestone (fractions of training). */
        STEP
    }

    private final double base;
    private final int warmupIterations;
    private final double warmupFactor;
    private final Kind kind;
    private final double[] milestones;
    private final double gamma;

    /**
     * @param base the base rate
     * @param warmupIterations iterations of linear warm-up (0 for none)
     * @param warmupFactor the warm-up's starting factor, in (0, 1]
     * @param kind the decay
     * @param milestones for {@link Kind#STEP}, the fractions of training where the rate drops (e.g. 0.67, 0.89)
     * @param gamma for {@link Kind#STEP}, the factor at each milestone
     */
    public LearningRateSchedule(double base, int warmupIterations, double warmupFactor, Kind kind, double[] milestones,
            double gamma) {
        if (!(base > 0) || Double.isInfinite(base)) {
            throw new IllegalArgumentException("the learning rate must be positive and finite, got " + base);
        }
        if (warmupIterations < 0 || !(warmupFactor > 0 && warmupFactor <= 1)) {
            throw new IllegalArgumentException("warm-up needs iterations >= 0 and a factor in (0, 1], got "
                    + warmupIterations + " and " + warmupFactor);
        }
        this.base = base;
        this.warmupIterations = warmupIterations;
        this.warmupFactor = warmupFactor;
        this.kind = kind;
        this.milestones = milestones == null ? new double[0] : milestones.clone();
        this.gamma = gamma;
    }

    /**
     * The rate for an iteration.
     *
     * @param iteration the iteration (0-based)
     * @param progress the fraction of training done, in [0, 1]
     * @return the rate
     */
    public double rate(long iteration, double progress) {
        double p = Math.max(0, Math.min(1, progress));
        double decay;
        if (kind == Kind.COSINE) {
            decay = 0.5 * (1 + Math.cos(Math.PI * p));
        } else {
            decay = 1;
            for (double m : milestones) {
                if (p >= m) {
                    decay *= gamma;
                }
            }
        }
        double warm = 1;
        if (iteration < warmupIterations) {
            double alpha = (double) iteration / warmupIterations;
            warm = warmupFactor * (1 - alpha) + alpha;
        }
        return base * decay * warm;
    }
}
