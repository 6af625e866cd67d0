package org.fx4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.fx4j.detection.rcnn.DetectionModels;
import org.fx4j.detection.rcnn.DetectionTarget;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.fx4j.detection.train.BenchmarkTargets;
import org.fx4j.detection.train.SgdOptimizer;
import org.fx4j.detection.train.TrainingStep;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Mask R-CNN training iteration ({@link TrainingStep}: the five losses, backward, gradient
 * clipping at norm 10, SGD with momentum 0.9 and weight decay 1e-4): {@code maskrcnn_resnet50_fpn}
 * with FrozenBatchNorm2d and 3 trainable backbone layers (the pretrained-weights layout), torchvision's
 * other defaults, min = max size the image's side, a batch of random images with the three fixed
 * objects of {@link BenchmarkTargets}.
 *
 * <p>Run: {@code java -jar fx-bench/target/benchmarks.jar MaskRcnnTrainingBenchmark -rf json}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 20)
@Measurement(iterations = 3, time = 30)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class MaskRcnnTrainingBenchmark {

    /** Images per iteration. */
    @Param({"2"})
    public int batch;

    /** Image side. */
    @Param({"512"})
    public int size;

    /** cpu or gpu (skipped with a message where DJL sees no GPU). */
    @Param({"cpu"})
    public String device;

    private NDManager manager;
    private SgdOptimizer sgd;
    private TrainingStep step;
    private final List<NDArray> images = new ArrayList<>();
    private final List<DetectionTarget> targets = new ArrayList<>();

    /** Builds the model, the optimiser and the batch once per trial. */
    @Setup(Level.Trial)
    public void setUp() {
        manager = NDManager.newBaseManager(BenchDevices.resolve(device));
        Engine.getInstance().setRandomSeed(0);
        MaskRCNN model = DetectionModels.maskrcnnResnet50Fpn(91, 3, new RcnnConfig().minSize(size).maxSize(size));
        model.initialize(manager);
        model.samplerSeed(0);
        for (int b = 0; b < batch; b++) {
            images.add(manager.randomUniform(0f, 1f, new Shape(3, size, size)));
            targets.add(BenchmarkTargets.fixedTarget(manager, size, size));
        }
        sgd = new SgdOptimizer(model.namedParameters(), 0.9, 1e-4, manager);
        step = new TrainingStep(model, sgd, 10);
    }

    /**
     * One iteration; what it creates is freed with a sub-manager per call.
     *
     * @return the iteration's losses
     */
    @Benchmark
    public Map<String, Double> iteration() {
        try (NDManager run = manager.newSubManager()) {
            for (NDArray x : images) {
                x.tempAttach(run);
            }
            for (DetectionTarget t : targets) {
                t.boxes().tempAttach(run);
                t.labels().tempAttach(run);
                t.masks().tempAttach(run);
            }
            return step.run(images, targets, 1e-4);
        }
    }

    /** Releases native memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        step.close();
        sgd.close();
        manager.close();
    }
}
