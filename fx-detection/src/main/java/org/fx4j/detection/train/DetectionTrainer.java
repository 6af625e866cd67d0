package org.fx4j.detection.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.fx4j.checkpoint.CheckpointException;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.SafeTensors;
import org.fx4j.checkpoint.StateDict;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.CocoSamples;
import org.fx4j.detection.eval.CocoMetrics;
import org.fx4j.detection.eval.DetectionEvaluation;
import org.fx4j.detection.rcnn.DetectionTarget;
import org.fx4j.detection.rcnn.MaskRCNN;

/**
 * Trains a Mask R-CNN on a COCO dataset with DJL's {@code GradientCollector}: per iteration a batch
 * of images (shuffled per epoch, half of them flipped), torchvision's five losses summed, backward,
 * gradient clipping, an SGD step at the scheduled rate. Each epoch ends with an evaluation on the
 * validation set (COCO box and mask AP); checkpoints ({@code checkpoint.safetensors}: weights,
 * momentum and the loop's state) are written every few minutes and after each epoch, so a run can
 * be resumed where it stopped, and a wall-time budget ends the run with a saved model and an
 * evaluation. Writes into the run directory: {@code model.safetensors} (weights plus the model's
 * {@link DetectionModelSpec}), {@code metrics.json}, {@code curve.png} and the checkpoint.
 *
 * <p>Every iteration's arrays live in a sub-manager closed after it; the model's parameters and the
 * optimiser's buffers are the only arrays that outlive an iteration.
 */
public final class DetectionTrainer {

    /** The checkpoint's file name in the run directory. */
    public static final String CHECKPOINT = "checkpoint.safetensors";
    /** The trained model's file name in the run directory. */
    public static final String MODEL = "model.safetensors";
    private static final String STATE_KEY = "fx4j.training_state";
    private static final String MODEL_PREFIX = "model.";
    private static final String MOMENTUM_PREFIX = "momentum.";
    private static final int MAX_SKIPPED_IN_A_ROW = 10;

    /** Receives progress; every method has a default that ignores it. */
    public interface Listener {
        /**
         * After each iteration.
         *
         * @param step the iteration's figures
         */
        default void onStep(Step step) {}

        /**
         * After each epoch (and after a run stopped by its time budget).
         *
         * @param epoch the epoch's record
         */
        default void onEpoch(EpochRecord epoch) {}

        /**
         * Notes (resuming, checkpoints, skipped iterations).
         *
         * @param message the note
         */
        default void onMessage(String message) {}
    }

    /**
     * One iteration's figures.
     *
     * @param epoch the epoch (1-based)
     * @param step the iteration within the epoch (1-based)
     * @param steps iterations per epoch
     * @param iteration iterations done in the run
     * @param losses the iteration's losses by torchvision's names plus {@code loss}, their sum
     * @param imagesPerSecond the training speed over the last iterations
     * @param learningRate the rate used
     * @param elapsedSeconds wall time spent by the run (over resumes)
     */
    public record Step(int epoch, int step, int steps, long iteration, Map<String, Double> losses,
            double imagesPerSecond, double learningRate, double elapsedSeconds) {}

    /**
     * One epoch's record.
     *
     * @param epoch the epoch (1-based)
     * @param iterations iterations done in the run at its end
     * @param complete false when the time budget ended it early
     * @param meanLosses the epoch's mean losses
     * @param elapsedSeconds wall time spent by the run at its end
     * @param box box metrics on the validation set, or null without one
     * @param mask mask metrics on the validation set, or null
     */
    public record EpochRecord(int epoch, long iterations, boolean complete, Map<String, Double> meanLosses,
            double elapsedSeconds, CocoMetrics box, CocoMetrics mask) {}

    private final DetectionModelSpec spec;
    private final CocoDataset train;
    private final CocoDataset val;
    private final TrainingOptions options;
    private final Path runDir;
    private final Listener listener;
    private double lastEvalSeconds;

    /**
     * @param spec the model to train
     * @param train the training set (its categories give the labels)
     * @param val the validation set, or null for none
     * @param options how to train
     * @param runDir the run directory (created if absent)
     * @param listener progress, or null
     */
    public DetectionTrainer(DetectionModelSpec spec, CocoDataset train, CocoDataset val, TrainingOptions options,
            Path runDir, Listener listener) {
        if (train.images().isEmpty()) {
            throw new IllegalArgumentException("the training set has no images");
        }
        if (spec.numClasses() != train.numClasses()) {
            throw new IllegalArgumentException("the model has " + spec.numClasses() + " classes but the training set"
                    + " has " + train.categories().size() + " categories (+ background = " + train.numClasses() + ")");
        }
        if (val != null && !sameCategories(train, val)) {
            throw new IllegalArgumentException("the validation set's categories differ from the training set's");
        }
        for (CocoDataset set : val == null ? List.of(train) : List.of(train, val)) {
            for (CocoDataset.Image img : set.images()) {
                if (!Files.isReadable(set.imagePath(img))) {
                    throw new IllegalArgumentException("image " + img.id() + " of the " + (set == train ? "training"
                            : "validation") + " set, " + set.imagePath(img) + ", does not exist or cannot be read");
                }
            }
        }
        this.spec = spec;
        this.train = train;
        this.val = val;
        this.options = options;
        this.runDir = runDir;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    private static boolean sameCategories(CocoDataset a, CocoDataset b) {
        if (a.categories().size() != b.categories().size()) {
            return false;
        }
        for (int i = 0; i < a.categories().size(); i++) {
            if (a.categories().get(i).id() != b.categories().get(i).id()) {
                return false;
            }
        }
        return true;
    }

    /** The loop's state, saved in checkpoints. */
    private static final class State {
        int epoch;           // 0-based epoch in progress
        int stepInEpoch;     // iterations done in it
        long iteration;
        double elapsed;
        final List<EpochRecord> history = new ArrayList<>();
        final List<double[]> lossLog = new ArrayList<>(); // iteration, loss, five losses
        final double[] epochSums = new double[6];
        int epochCount;
    }

    /**
     * Runs training.
     *
     * @param resume continue from the run directory's checkpoint (which must exist and describe the
     *     same model)
     * @return the history, one record per epoch (the last may be incomplete)
     * @throws IOException if reading or writing fails
     * @throws IllegalStateException if the run directory has a checkpoint and {@code resume} is false,
     *     or training diverges (repeated non-finite losses)
     */
    public List<EpochRecord> run(boolean resume) throws IOException {
        Path checkpoint = runDir.resolve(CHECKPOINT);
        if (!resume && Files.exists(checkpoint)) {
            throw new IllegalStateException(runDir + " already holds a training run (" + CHECKPOINT + "); add --resume"
                    + " to continue it, or choose another output directory");
        }
        if (resume && !Files.exists(checkpoint)) {
            throw new IllegalStateException("nothing to resume: " + checkpoint + " does not exist");
        }
        Files.createDirectories(runDir);
        MaskRCNN model = spec.build();
        State state = new State();
        try (NDManager manager = NDManager.newBaseManager()) {
            // torchvision's random initialisation, drawn from the run's seed (the engine's generator)
            Engine.getInstance().setRandomSeed(Long.hashCode(options.seed()));
            model.initialize(manager);
            Map<String, ai.djl.nn.Parameter> trainable = model.namedParameters();
            try (SgdOptimizer sgd = new SgdOptimizer(trainable, options.momentum(), options.weightDecay(), manager)) {
                if (resume) {
                    restore(checkpoint, model, sgd, state, manager);
                }
                model.train();
                try (TrainingStep step = new TrainingStep(model, sgd, options.clipNorm())) {
                    loop(model, sgd, step, state, manager);
                }
                model.eval();
                spec.save(model, runDir.resolve(MODEL));
                writeMetrics(state);
                LearningCurve.write(state.lossLog, state.history, runDir.resolve("curve.png"));
            }
        }
        return Collections.unmodifiableList(state.history);
    }

    private void loop(MaskRCNN model, SgdOptimizer sgd, TrainingStep step, State state, NDManager manager)
            throws IOException {
        int n = train.images().size();
        int steps = (n + options.batchSize() - 1) / options.batchSize();
        // as torchvision's references: warm-up within the first epoch (at most its length - 1 iterations)
        LearningRateSchedule schedule = options.learningRateSchedule(Math.min(options.warmupIterations(),
                Math.max(1, steps - 1)));
        double budget = options.minutes() * 60;
        long totalIterations = options.epochs() > 0 ? (long) options.epochs() * steps : 0;
        long start = System.nanoTime();
        double elapsedBefore = state.elapsed;
        long lastCheckpoint = System.nanoTime();
        int skippedInARow = 0;
        double[] speedWindow = new double[20];
        int speedCount = 0;
        boolean outOfTime = false;
        while ((options.epochs() == 0 || state.epoch < options.epochs()) && !outOfTime) {
            int[] order = permutation(n, mix(options.seed(), state.epoch, -1));
            while (state.stepInEpoch < steps) {
                double elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                // the budget includes the final evaluation and save: keep their expected time in hand
                double reserve = 5 + (val == null ? 0 : lastEvalSeconds > 0 ? lastEvalSeconds
                        : val.images().size() * 0.5);
                if (budget > 0 && elapsed + reserve >= budget) {
                    outOfTime = true;
                    break;
                }
                double progress = Math.max(totalIterations > 0 ? (double) state.iteration / totalIterations : 0,
                        budget > 0 ? elapsed / budget : 0);
                double lr = schedule.rate(state.iteration, progress);
                long t0 = System.nanoTime();
                double[] values = new double[6];
                boolean finite;
                try (NDManager scope = manager.newSubManager()) {
                    List<NDArray> images = new ArrayList<>();
                    List<DetectionTarget> targets = new ArrayList<>();
                    int from = state.stepInEpoch * options.batchSize();
                    for (int i = from; i < Math.min(n, from + options.batchSize()); i++) {
                        boolean flip = options.flip() && (mix(options.seed(), state.epoch, order[i]) & 1) == 1;
                        CocoSamples.Sample s = CocoSamples.load(train, order[i], scope, flip);
                        images.add(s.image());
                        targets.add(s.target());
                    }
                    // Seeded per iteration, so a resumed run draws what an uninterrupted one would.
                    model.samplerSeed(mix(options.seed(), -1, state.iteration));
                    Map<String, Double> losses = step.run(images, targets, lr);
                    values[0] = losses.get("loss");
                    for (int k = 0; k < LearningCurve.LOSSES.size(); k++) {
                        values[k + 1] = losses.get(LearningCurve.LOSSES.get(k));
                    }
                    finite = Double.isFinite(values[0]);
                }
                if (finite) {
                    skippedInARow = 0;
                } else {
                    skippedInARow++;
                    listener.onMessage("iteration " + (state.iteration + 1) + " skipped: non-finite loss or gradient"
                            + " norm");
                    if (skippedInARow >= MAX_SKIPPED_IN_A_ROW) {
                        throw new IllegalStateException("training diverged: " + MAX_SKIPPED_IN_A_ROW + " iterations in a"
                                + " row had non-finite losses or gradients; lower the learning rate (was " + lr + ")");
                    }
                }
                state.stepInEpoch++;
                state.iteration++;
                double seconds = (System.nanoTime() - t0) / 1e9;
                speedWindow[speedCount++ % speedWindow.length] = seconds;
                double window = 0;
                int w = Math.min(speedCount, speedWindow.length);
                for (int i = 0; i < w; i++) {
                    window += speedWindow[i];
                }
                if (finite) {
                    double[] row = new double[7];
                    row[0] = state.iteration;
                    System.arraycopy(values, 0, row, 1, 6);
                    state.lossLog.add(row);
                    for (int i = 0; i < 6; i++) {
                        state.epochSums[i] += values[i];
                    }
                    state.epochCount++;
                }
                state.elapsed = elapsedBefore + (System.nanoTime() - start) / 1e9;
                listener.onStep(new Step(state.epoch + 1, state.stepInEpoch, steps, state.iteration,
                        lossMap(values), w * options.batchSize() / window, lr, state.elapsed));
                if ((System.nanoTime() - lastCheckpoint) / 60e9 >= options.checkpointMinutes()) {
                    saveCheckpoint(model, sgd, state);
                    lastCheckpoint = System.nanoTime();
                }
            }
            boolean complete = state.stepInEpoch >= steps;
            if (state.epochCount == 0 && !complete) {
                break; // the budget ran out before this epoch began
            }
            // saved before the evaluation, so a failing evaluation loses no training
            saveCheckpoint(model, sgd, state);
            endEpoch(model, state, complete, manager);
            if (complete) {
                state.epoch++;
                state.stepInEpoch = 0;
            }
            saveCheckpoint(model, sgd, state);
            lastCheckpoint = System.nanoTime();
            elapsedBefore = state.elapsed;
            start = System.nanoTime();
        }
    }

    private void endEpoch(MaskRCNN model, State state, boolean complete, NDManager manager) throws IOException {
        Map<String, Double> mean = new LinkedHashMap<>();
        double[] sums = state.epochSums;
        double[] m = new double[6];
        for (int i = 0; i < 6; i++) {
            m[i] = state.epochCount == 0 ? Double.NaN : sums[i] / state.epochCount;
        }
        mean.putAll(lossMap(m));
        CocoMetrics box = null;
        CocoMetrics mask = null;
        long t0 = System.nanoTime();
        if (val != null) {
            listener.onMessage("evaluating on " + val.images().size() + " validation images");
            DetectionEvaluation.Result r = DetectionEvaluation.evaluate(model, val, manager, null);
            box = r.box();
            mask = r.mask();
        }
        lastEvalSeconds = (System.nanoTime() - t0) / 1e9;
        state.elapsed += lastEvalSeconds;
        EpochRecord record = new EpochRecord(state.epoch + 1, state.iteration, complete, mean, state.elapsed, box, mask);
        state.history.add(record);
        if (complete) {
            java.util.Arrays.fill(state.epochSums, 0);
            state.epochCount = 0;
        } // an epoch cut by the time budget keeps its sums: a resumed run completes them
        listener.onEpoch(record);
        writeMetrics(state);
        LearningCurve.write(state.lossLog, state.history, runDir.resolve("curve.png"));
    }

    private static Map<String, Double> lossMap(double[] values) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", values[0]);
        for (int i = 0; i < LearningCurve.LOSSES.size(); i++) {
            m.put(LearningCurve.LOSSES.get(i), values[i + 1]);
        }
        return m;
    }

    /**
     * A well-mixed 64-bit value of (seed, a, b) (SplitMix64's finaliser over each input), so that
     * nearby seeds, epochs and indices give unrelated draws (java.util.Random's first outputs for
     * nearby seeds are correlated).
     */
    static long mix(long seed, long a, long b) {
        long h = splitMix(seed);
        h = splitMix(h ^ a);
        return splitMix(h ^ b);
    }

    private static long splitMix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A digest of the training set's file names and annotation counts, to refuse resuming on other data. */
    private static String fingerprint(CocoDataset set) {
        long h = 0;
        for (CocoDataset.Image img : set.images()) {
            h = mix(h, img.fileName().hashCode(), set.annotations(img.id()).size());
        }
        return Long.toHexString(h);
    }

    private static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        Random r = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private void saveCheckpoint(MaskRCNN model, SgdOptimizer sgd, State state) throws IOException {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((k, p) -> tensors.put(MODEL_PREFIX + k, p.getArray()));
        sgd.buffers().forEach((k, a) -> tensors.put(MOMENTUM_PREFIX + k, a));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(DetectionModelSpec.METADATA_KEY, spec.toJson());
        meta.put(STATE_KEY, stateJson(state).toString());
        SafeTensors.write(runDir.resolve(CHECKPOINT), tensors, meta);
        listener.onMessage("checkpoint written after iteration " + state.iteration);
    }

    /** The settings a resumed run must share for the same updates, as strings. */
    private Map<String, String> optimiserSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("learning_rate", Double.toString(options.learningRate()));
        m.put("momentum", Double.toString(options.momentum()));
        m.put("weight_decay", Double.toString(options.weightDecay()));
        m.put("warmup_iterations", Integer.toString(options.warmupIterations()));
        m.put("warmup_factor", Double.toString(options.warmupFactor()));
        m.put("schedule", options.schedule().name().toLowerCase(java.util.Locale.ROOT));
        m.put("clip_norm", Double.toString(options.clipNorm()));
        m.put("flip", Boolean.toString(options.flip()));
        return m;
    }

    private JsonObject stateJson(State state) {
        JsonObject o = new JsonObject();
        o.addProperty("epoch", state.epoch);
        o.addProperty("step_in_epoch", state.stepInEpoch);
        o.addProperty("iteration", state.iteration);
        o.addProperty("elapsed_seconds", state.elapsed);
        o.addProperty("batch_size", options.batchSize());
        o.addProperty("seed", options.seed());
        o.addProperty("train_images", train.images().size());
        o.addProperty("train_fingerprint", fingerprint(train));
        optimiserSettings().forEach(o::addProperty);
        JsonArray sums = new JsonArray();
        for (double v : state.epochSums) {
            sums.add(v);
        }
        o.add("epoch_sums", sums);
        o.addProperty("epoch_count", state.epochCount);
        o.add("history", historyJson(state.history));
        JsonArray log = new JsonArray();
        for (double[] row : state.lossLog) {
            JsonArray r = new JsonArray();
            for (double v : row) {
                r.add(v);
            }
            log.add(r);
        }
        o.add("loss_log", log);
        return o;
    }

    private void restore(Path checkpoint, MaskRCNN model, SgdOptimizer sgd, State state, NDManager manager)
            throws IOException {
        Map<String, String> meta = SafeTensors.readMetadata(checkpoint);
        String specJson = meta.get(DetectionModelSpec.METADATA_KEY);
        String stateJson = meta.get(STATE_KEY);
        if (specJson == null || stateJson == null) {
            throw new CheckpointException(checkpoint + " is not an fx train checkpoint (no " + STATE_KEY + " metadata)");
        }
        DetectionModelSpec saved = DetectionModelSpec.fromJson(specJson, checkpoint.toString());
        if (!saved.toJson().equals(spec.toJson())) {
            throw new IllegalStateException("the checkpoint in " + runDir + " is of another model: " + saved.toJson()
                    + "; resume with the same backbone, classes and settings, or choose another output directory");
        }
        JsonObject o = JsonParser.parseString(stateJson).getAsJsonObject();
        if (o.get("batch_size").getAsInt() != options.batchSize() || o.get("seed").getAsLong() != options.seed()
                || o.get("train_images").getAsInt() != train.images().size()
                || !fingerprint(train).equals(o.get("train_fingerprint").getAsString())) {
            throw new IllegalStateException("the checkpoint was trained with batch " + o.get("batch_size") + ", seed "
                    + o.get("seed") + " on " + o.get("train_images") + " images; resume with the same batch, seed and"
                    + " training set (the file names and annotation counts must match; now batch " + options.batchSize() + ", seed " + options.seed() + ", "
                    + train.images().size() + " images)");
        }
        List<String> changed = new ArrayList<>();
        optimiserSettings().forEach((k, v) -> {
            // checkpoints written before these settings were recorded are not checked
            if (o.has(k) && !o.get(k).getAsString().equals(v)) {
                changed.add(k + " " + o.get(k).getAsString() + " (now " + v + ")");
            }
        });
        if (!changed.isEmpty()) {
            throw new IllegalStateException("the checkpoint in " + runDir + " was trained with "
                    + String.join(", ", changed) + "; resume with the same optimiser settings (fx train: --lr), or"
                    + " choose another output directory");
        }
        try (StateDict weights = Checkpoints.read(checkpoint, manager,
                CheckpointOptions.builder().optOnlyPrefixed(MODEL_PREFIX).build())) {
            Checkpoints.load(model, weights, manager, true);
        }
        try (StateDict momentum = Checkpoints.read(checkpoint, manager,
                CheckpointOptions.builder().optOnlyPrefixed(MOMENTUM_PREFIX).build())) {
            sgd.loadBuffers(momentum.tensors());
        }
        state.epoch = o.get("epoch").getAsInt();
        state.stepInEpoch = o.get("step_in_epoch").getAsInt();
        state.iteration = o.get("iteration").getAsLong();
        state.elapsed = o.get("elapsed_seconds").getAsDouble();
        JsonArray sums = o.getAsJsonArray("epoch_sums");
        for (int i = 0; i < 6; i++) {
            state.epochSums[i] = sums.get(i).getAsDouble();
        }
        state.epochCount = o.get("epoch_count").getAsInt();
        for (JsonElement e : o.getAsJsonArray("history")) {
            state.history.add(recordFromJson(e.getAsJsonObject()));
        }
        if (!state.history.isEmpty() && !state.history.get(state.history.size() - 1).complete()
                && state.history.get(state.history.size() - 1).epoch() == state.epoch + 1) {
            // the epoch the time budget cut: its record is replaced when the resumed run ends it
            state.history.remove(state.history.size() - 1);
        }
        for (JsonElement e : o.getAsJsonArray("loss_log")) {
            JsonArray r = e.getAsJsonArray();
            double[] row = new double[r.size()];
            for (int i = 0; i < row.length; i++) {
                row[i] = r.get(i).getAsDouble();
            }
            state.lossLog.add(row);
        }
        listener.onMessage("resumed at epoch " + (state.epoch + 1) + ", iteration " + state.iteration + " ("
                + Math.round(state.elapsed) + " s spent)");
    }

    private static JsonArray historyJson(List<EpochRecord> history) {
        JsonArray a = new JsonArray();
        for (EpochRecord r : history) {
            JsonObject o = new JsonObject();
            o.addProperty("epoch", r.epoch());
            o.addProperty("iterations", r.iterations());
            o.addProperty("complete", r.complete());
            o.addProperty("elapsed_seconds", r.elapsedSeconds());
            JsonObject l = new JsonObject();
            r.meanLosses().forEach(l::addProperty);
            o.add("losses", l);
            if (r.box() != null) {
                o.add("bbox", metricsJson(r.box()));
            }
            if (r.mask() != null) {
                o.add("segm", metricsJson(r.mask()));
            }
            a.add(o);
        }
        return a;
    }

    private static JsonObject metricsJson(CocoMetrics m) {
        JsonObject o = new JsonObject();
        m.asMap().forEach(o::addProperty);
        return o;
    }

    private static CocoMetrics metricsFromJson(JsonObject o, org.fx4j.detection.eval.CocoEvaluator.IouType type) {
        if (o == null) {
            return null;
        }
        double[] s = new double[12];
        for (int i = 0; i < 12; i++) {
            s[i] = o.get(CocoMetrics.NAMES.get(i)).getAsDouble();
        }
        return new CocoMetrics(type, s);
    }

    private static EpochRecord recordFromJson(JsonObject o) {
        Map<String, Double> losses = new LinkedHashMap<>();
        o.getAsJsonObject("losses").entrySet().forEach(e -> losses.put(e.getKey(), e.getValue().getAsDouble()));
        return new EpochRecord(o.get("epoch").getAsInt(), o.get("iterations").getAsLong(),
                o.get("complete").getAsBoolean(), losses, o.get("elapsed_seconds").getAsDouble(),
                metricsFromJson(o.getAsJsonObject("bbox"), org.fx4j.detection.eval.CocoEvaluator.IouType.BBOX),
                metricsFromJson(o.getAsJsonObject("segm"), org.fx4j.detection.eval.CocoEvaluator.IouType.SEGM));
    }

    private void writeMetrics(State state) throws IOException {
        JsonObject root = new JsonObject();
        root.add("model", JsonParser.parseString(spec.toJson()));
        JsonObject opts = new JsonObject();
        opts.addProperty("batch_size", options.batchSize());
        opts.addProperty("epochs", options.epochs());
        opts.addProperty("minutes", options.minutes());
        opts.addProperty("learning_rate", options.learningRate());
        opts.addProperty("momentum", options.momentum());
        opts.addProperty("weight_decay", options.weightDecay());
        opts.addProperty("warmup_iterations", options.warmupIterations());
        opts.addProperty("schedule", options.schedule().name().toLowerCase(java.util.Locale.ROOT));
        opts.addProperty("clip_norm", options.clipNorm());
        opts.addProperty("flip", options.flip());
        opts.addProperty("seed", options.seed());
        root.add("options", opts);
        root.addProperty("train_images", train.images().size());
        root.addProperty("val_images", val == null ? 0 : val.images().size());
        root.addProperty("iterations", state.iteration);
        root.addProperty("elapsed_seconds", state.elapsed);
        root.add("epochs", historyJson(state.history));
        Gson gson = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues()
                .create();
        Path tmp = Files.createTempFile(runDir, "metrics", ".json.tmp");
        Files.writeString(tmp, gson.toJson(root), StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve("metrics.json"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
