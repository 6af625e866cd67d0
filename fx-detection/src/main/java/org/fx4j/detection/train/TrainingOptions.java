package org.fx4j.detection.train;

/**
 * How {@link DetectionTrainer} trains: batch, length (epochs and/or a wall-time budget), SGD with
 * momentum and weight decay, warm-up and decay, gradient clipping, flip augmentation, seed and
 * checkpoint interval.
 *
 * @param batchSize images per iteration
 * @param epochs passes over the training set; 0 for as many as the time budget allows
 * @param minutes the wall-time budget (training plus per-epoch evaluation); 0 for none
 * @param learningRate the base learning rate
 * @param momentum SGD momentum
 * @param weightDecay SGD weight decay
 * @param warmupIterations iterations of linear warm-up
 * @param warmupFactor the warm-up's starting factor
 * @param schedule the decay after warm-up
 * @param clipNorm the largest gradient norm ({@code clip_grad_norm_}); infinite for none
 * @param flip whether to flip half the training images horizontally
 * @param seed the seed of the initial weights (the engine's generator), the data order, the flips and the samplers
 * @param checkpointMinutes minutes between checkpoints inside an epoch (one is also written after each)
 */
public record TrainingOptions(int batchSize, int epochs, double minutes, double learningRate, double momentum,
        double weightDecay, int warmupIterations, double warmupFactor, LearningRateSchedule.Kind schedule,
        double clipNorm, boolean flip, long seed, double checkpointMinutes) {

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException naming the bad option
     */
    public TrainingOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        if (epochs < 0 || !(minutes >= 0) || Double.isInfinite(minutes)) {
            throw new IllegalArgumentException("epochs and minutes must be at least 0, got " + epochs + " and " + minutes);
        }
        if (epochs == 0 && minutes == 0) {
            throw new IllegalArgumentException("give a number of epochs, a time budget in minutes, or both");
        }
        if (!(clipNorm > 0)) {
            throw new IllegalArgumentException("the gradient clipping norm must be positive, got " + clipNorm);
        }
        if (!(checkpointMinutes > 0)) {
            throw new IllegalArgumentException("the checkpoint interval must be positive, got " + checkpointMinutes);
        }
        new LearningRateSchedule(learningRate, warmupIterations, warmupFactor, schedule, null, 0.1);
    }

    /**
     * The defaults fx train uses: batch 2, SGD lr 0.005, momentum 0.9, weight decay 1e-4, 100 warm-up
     * iterations from 0.001, cosine decay, clipping at norm 10, flips, seed 0, checkpoints every 5 minutes.
     *
     * @param epochs the epochs (0 for the time budget only)
     * @param minutes the time budget (0 for none)
     * @return the options
     */
    public static TrainingOptions defaults(int epochs, double minutes) {
        return new TrainingOptions(2, epochs, minutes, 0.005, 0.9, 1e-4, 100, 0.001, LearningRateSchedule.Kind.COSINE,
                10, true, 0, 5);
    }

    /**
     * The schedule these options describe, with a given warm-up length.
     *
     * @param warmup warm-up iterations (the trainer caps {@link #warmupIterations} at one epoch)
     * @return the schedule; {@link LearningRateSchedule.Kind#STEP} drops by 0.1 at 2/3 and 8/9 of training
     */
    public LearningRateSchedule learningRateSchedule(int warmup) {
        return new LearningRateSchedule(learningRate, warmup, warmupFactor, schedule,
                new double[] {2.0 / 3, 8.0 / 9}, 0.1);
    }
}
