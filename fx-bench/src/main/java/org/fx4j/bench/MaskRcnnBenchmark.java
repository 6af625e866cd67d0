package org.fx4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fx4j.detection.rcnn.DetectionModels;
import org.fx4j.detection.rcnn.MaskRCNN;
import org.fx4j.detection.rcnn.RcnnConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code maskrcnn_resnet50_fpn}'s whole-image detection ({@link MaskRCNN#detect}): random weights,
 * {@code box_score_thresh=0} (so 100 detections with masks), one image (480x640 is resized to
 * 800x1066), masks pasted at the original size.
 *
 * <p>Run: {@code java -jar fx-bench/target/benchmarks.jar MaskRcnnBenchmark -rf json}; add {@code -p
 * device=gpu} on a machine with a CUDA libtorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 10)
@Measurement(iterations = 3, time = 20)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class MaskRcnnBenchmark extends InferenceBenchmark {

    /** Image height. */
    @Param({"480"})
    public int height;

    /** Image width. */
    @Param({"640"})
    public int width;

    private MaskRCNN model;
    private NDArray image;

    /** Builds the model and the image once per trial. */
    @Override
    protected void build() {
        model = DetectionModels.maskrcnnResnet50Fpn(91, false, new RcnnConfig().boxScoreThresh(0));
        model.initialize(manager);
        model.eval();
        image = manager.randomUniform(0f, 1f, new Shape(3, height, width));
    }

    /**
     * One image's detection, outputs scoped to a sub-manager per call.
     *
     * @return the number of detections
     */
    @Benchmark
    public int detect() {
        try (NDManager run = manager.newSubManager()) {
            image.tempAttach(run);
            return model.detect(List.of(image)).get(0).size();
        }
    }
}
