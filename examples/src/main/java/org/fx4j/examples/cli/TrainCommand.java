package org.fx4j.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.ShapesGenerator;
import org.fx4j.detection.train.DetectionModelSpec;
import org.fx4j.detection.train.DetectionTrainer;
import org.fx4j.detection.train.TrainingOptions;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fx train (--shapes N | --data DIR) [--val DIR] --backbone NAME [--trainable-layers K]
 * [--minutes M] [--epochs E] [--batch B] [--size S] [--lr LR] [--seed S] [--fpn-channels C]
 * [--box-head N] [--mask-head C,C] [--resume] --out RUN}: trains a Mask R-CNN from
 * torchvision's random initialisation and writes {@code RUN/model.safetensors} (with its
 * configuration, so {@code fx detect} and {@code fx eval} need no other flag), {@code
 * RUN/metrics.json}, {@code RUN/curve.png} and {@code RUN/checkpoint.safetensors}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train Mask R-CNN (random initialisation) on a COCO dataset or generated shapes.")
public final class TrainCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    /** Where the training images come from. */
    static final class Source {
        @Option(names = "--shapes", paramLabel = "N", description = "Generate N shape images (seed --seed) into"
                + " RUN/data/train, and a validation set with another seed into RUN/data/val.")
        Integer shapes;

        @Option(names = "--data", paramLabel = "DIR", description = "A COCO dataset directory (annotations.json and"
                + " images/).")
        Path data;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Source source;

    @Option(names = "--val", paramLabel = "DIR", description = "Validation set, evaluated after each epoch.")
    private Path val;

    @Option(names = "--backbone", required = true, description = "resnet18, resnet50 or mobilenet_v3_large.")
    private String backbone;

    @Option(names = "--trainable-layers", paramLabel = "K", description = "Trainable backbone stages counted from the"
            + " last (default: all: 5 for a ResNet, 6 for MobileNetV3).")
    private Integer trainableLayers;

    @Option(names = "--minutes", defaultValue = "0", description = "Wall-time budget; ends with a saved model and an"
            + " evaluation (0: none).")
    private double minutes;

    @Option(names = "--epochs", defaultValue = "0", description = "Epochs (0: as many as --minutes allows).")
    private int epochs;

    @Option(names = "--batch", defaultValue = "2", description = "Images per iteration (default ${DEFAULT-VALUE}).")
    private int batch;

    @Option(names = "--size", defaultValue = "256", description = "The model's image side (min_size = max_size;"
            + " default ${DEFAULT-VALUE}); also the generated shapes' size.")
    private int size;

    @Option(names = "--lr", defaultValue = "0.005", description = "Base learning rate (default ${DEFAULT-VALUE}).")
    private double lr;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the data order, flips, samplers and the"
            + " generated training shapes (default ${DEFAULT-VALUE}).")
    private long seed;

    @Option(names = "--fpn-channels", defaultValue = "128", paramLabel = "C", description = "Channels of the FPN's"
            + " levels, which the RPN and both heads take (default ${DEFAULT-VALUE}; torchvision: 256).")
    private int fpnChannels;

    @Option(names = "--box-head", defaultValue = "256", paramLabel = "N", description = "Width of the box head's two"
            + " fully connected layers (default ${DEFAULT-VALUE}; torchvision: 1024).")
    private int boxHead;

    @Option(names = "--mask-head", defaultValue = "128,128", split = ",", paramLabel = "C,C,...", description = "Channels"
            + " of the mask head's 3x3 convolutions (default ${DEFAULT-VALUE}; torchvision: 256,256,256,256).")
    private List<Integer> maskHead;

    @Option(names = "--resume", description = "Continue the run in --out from its checkpoint.")
    private boolean resume;

    @Option(names = "--out", required = true, paramLabel = "RUN", description = "Run directory.")
    private Path out;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (minutes == 0 && epochs == 0) {
            throw new ParameterException(spec.commandLine(), "give --epochs, --minutes or both");
        }
        if (minutes < 0 || epochs < 0 || batch < 1 || size < 32) {
            throw new ParameterException(spec.commandLine(), "--minutes and --epochs must be >= 0, --batch >= 1 and"
                    + " --size >= 32");
        }
        if (source.shapes != null && source.shapes < 1) {
            throw new ParameterException(spec.commandLine(), "--shapes must be at least 1, got " + source.shapes);
        }
        if (!DetectionModelSpec.BACKBONES.contains(backbone)) {
            throw new ParameterException(spec.commandLine(), "unknown --backbone '" + backbone + "'; known: "
                    + String.join(", ", DetectionModelSpec.BACKBONES));
        }
        int maxLayers = DetectionModelSpec.maxTrainableLayers(backbone);
        int layers = trainableLayers == null ? maxLayers : trainableLayers;
        if (layers < 0 || layers > maxLayers) {
            throw new ParameterException(spec.commandLine(), "--trainable-layers must be in [0, " + maxLayers + "] for "
                    + backbone + ", got " + layers);
        }
        if (!resume && Files.exists(out.resolve(DetectionTrainer.CHECKPOINT))) {
            throw new ParameterException(spec.commandLine(), "--out '" + out + "' already holds a training run; add"
                    + " --resume to continue it, or choose another directory");
        }
        if (resume && !Files.exists(out.resolve(DetectionTrainer.CHECKPOINT))) {
            throw new ParameterException(spec.commandLine(), "nothing to resume: " + out.resolve(
                    DetectionTrainer.CHECKPOINT) + " does not exist");
        }
        if (fpnChannels < 1 || boxHead < 1 || maskHead.isEmpty() || maskHead.stream().anyMatch(c -> c < 1)) {
            throw new ParameterException(spec.commandLine(), "--fpn-channels, --box-head and every --mask-head width"
                    + " must be positive");
        }
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new ParameterException(spec.commandLine(), "--lr must be positive and finite, got " + lr);
        }
        PrintWriter w = spec.commandLine().getOut();
        CocoDataset train;
        CocoDataset validation = val == null ? null : CocoDataset.open(val);
        if (source.shapes != null) {
            Path trainDir = out.resolve("data").resolve("train");
            Path valDir = out.resolve("data").resolve("val");
            int valCount = Math.max(50, Math.min(500, source.shapes / 10));
            if (!Files.exists(trainDir.resolve("annotations.json"))) {
                w.printf("generating %d training shapes (seed %d) and %d validation shapes (seed %d) in %s%n",
                        source.shapes, seed, valCount, seed + 1_000_000, out.resolve("data"));
                w.flush();
                new ShapesGenerator(size, seed).write(source.shapes, trainDir);
                new ShapesGenerator(size, seed + 1_000_000).write(valCount, valDir);
            }
            train = CocoDataset.open(trainDir);
            if (train.images().size() != source.shapes) {
                throw new ParameterException(spec.commandLine(), out.resolve("data/train") + " holds "
                        + train.images().size() + " generated images, not " + source.shapes + "; use the same"
                        + " --shapes to resume, or another --out");
            }
            if (validation == null) {
                validation = CocoDataset.open(valDir);
            }
        } else {
            train = CocoDataset.open(source.data);
        }
        List<String> names = train.categories().stream().map(CocoDataset.Category::name).toList();
        DetectionModelSpec model = new DetectionModelSpec(backbone, train.numClasses(), layers, names, fpnChannels,
                boxHead, maskHead, DetectionModelSpec.lightConfig(size));
        // fx train's flags over TrainingOptions.defaults: the optimiser settings live in one place
        TrainingOptions d = TrainingOptions.defaults(epochs, minutes);
        TrainingOptions options = new TrainingOptions(batch, epochs, minutes, lr, d.momentum(), d.weightDecay(),
                d.warmupIterations(), d.warmupFactor(), d.schedule(), d.clipNorm(), d.flip(), seed,
                d.checkpointMinutes());
        w.printf("training maskrcnn on %s-FPN (%d trainable stages, BatchNorm2d, FPN %d channels), box head %d, mask"
                + " head %s, %d classes, %d images of side %d, batch %d, SGD lr %s momentum 0.9 weight decay 1e-4,"
                + " warm-up 100 iterations, cosine%s%s%n", backbone, layers, fpnChannels, boxHead, maskHead,
                train.numClasses(), train.images().size(), size, batch, lr,
                epochs > 0 ? ", " + epochs + " epochs" : "", minutes > 0 ? ", " + minutes + " minutes" : "");
        w.flush();
        ProgressBar bar = new ProgressBar(spec.commandLine().getErr(), minutes * 60);
        List<DetectionTrainer.EpochRecord> history = new DetectionTrainer(model, train, validation, options, out, bar)
                .run(resume);
        bar.finish();
        DetectionTrainer.EpochRecord last = history.isEmpty() ? null : history.get(history.size() - 1);
        if (last != null && last.box() != null) {
            w.printf(Locale.ROOT, "validation after epoch %d%s: box AP %.3f AP50 %.3f, mask AP %.3f AP50 %.3f%n",
                    last.epoch(), last.complete() ? "" : " (stopped by --minutes)", last.box().ap(), last.box().ap50(),
                    last.mask().ap(), last.mask().ap50());
        }
        w.println("wrote " + out.resolve(DetectionTrainer.MODEL) + ", " + out.resolve("metrics.json") + ", "
                + out.resolve("curve.png"));
        w.flush();
        return 0;
    }

    /** Renders the trainer's progress: one rewritten line on a terminal, a line every 50 iterations otherwise. */
    static final class ProgressBar implements DetectionTrainer.Listener {
        private final PrintWriter err;
        private final double budget;
        private final boolean terminal = System.console() != null;
        private boolean open;

        ProgressBar(PrintWriter err, double budgetSeconds) {
            this.err = err;
            this.budget = budgetSeconds;
        }

        @Override
        public void onStep(DetectionTrainer.Step s) {
            if (!terminal && s.iteration() % 50 != 0 && s.step() != s.steps()) {
                return;
            }
            int width = 20;
            int filled = (int) ((long) s.step() * width / s.steps());
            Map<String, Double> l = s.losses();
            String line = String.format(Locale.ROOT, "epoch %d [%s%s] %d/%d | loss %.3f (cls %.3f box %.3f mask %.3f"
                    + " obj %.3f rpn %.3f) | %.2f img/s | lr %.4f | %s%s", s.epoch(), "#".repeat(filled),
                    ".".repeat(width - filled), s.step(), s.steps(), l.get("loss"), l.get("loss_classifier"),
                    l.get("loss_box_reg"), l.get("loss_mask"), l.get("loss_objectness"), l.get("loss_rpn_box_reg"),
                    s.imagesPerSecond(), s.learningRate(), clock(s.elapsedSeconds()),
                    budget > 0 ? " / " + clock(budget) : "");
            if (terminal) {
                err.print("\r" + line);
                open = true;
            } else {
                err.println(line);
            }
            err.flush();
        }

        @Override
        public void onEpoch(DetectionTrainer.EpochRecord r) {
            finish();
            if (r.box() != null) {
                err.printf(Locale.ROOT, "epoch %d%s: mean loss %.3f | val box AP %.3f AP50 %.3f | mask AP %.3f AP50"
                        + " %.3f%n", r.epoch(), r.complete() ? "" : " (partial)", r.meanLosses().get("loss"),
                        r.box().ap(), r.box().ap50(), r.mask() == null ? -1 : r.mask().ap(),
                        r.mask() == null ? -1 : r.mask().ap50());
            } else {
                err.printf(Locale.ROOT, "epoch %d%s: mean loss %.3f%n", r.epoch(), r.complete() ? "" : " (partial)",
                        r.meanLosses().get("loss"));
            }
            err.flush();
        }

        @Override
        public void onMessage(String message) {
            finish();
            err.println("# " + message);
            err.flush();
        }

        void finish() {
            if (open) {
                err.println();
                open = false;
            }
        }

        private static String clock(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                    : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
    }
}
