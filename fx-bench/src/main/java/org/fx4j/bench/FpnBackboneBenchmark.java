package org.fx4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.TimeUnit;
import org.fx4j.detection.BackboneWithFPN;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.features.FeatureExtractor;
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
 * The forward of {@code resnetFpnBackbone(model)} (torchvision's defaults: frozen batch norms,
 * LastLevelMaxPool) at a detection input size, batch 1, inference: traced (as the CLI runs it) and
 * eager.
 *
 * <p>Run: {@code java -jar fx-bench/target/benchmarks.jar FpnBackboneBenchmark -rf json}; add {@code -p
 * device=gpu} on a machine with a CUDA libtorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class FpnBackboneBenchmark extends InferenceBenchmark {

    /** A ResNet name. */
    @Param({"resnet50"})
    public String model;

    /** Input height. */
    @Param({"800"})
    public int height;

    /** Input width. */
    @Param({"1088"})
    public int width;

    private BackboneWithFPN backbone;
    private FeatureExtractor traced;
    private NDArray input;

    /** Builds the backbone and the input once per trial. */
    @Override
    protected void build() {
        backbone = DetectionBackbones.resnetFpnBackbone(model);
        backbone.initialize(manager);
        backbone.eval();
        traced = DetectionBackbones.traced(backbone);
        traced.eval();
        input = manager.randomUniform(0f, 1f, new Shape(1, 3, height, width));
    }

    /**
     * The traced backbone's forward ({@link DetectionBackbones#traced}): intermediates freed at their last use.
     *
     * @return the number of pyramid levels
     */
    @Benchmark
    public int tracedForward() {
        try (NDList levels = traced.forward(new NDList(input))) {
            return levels.size();
        }
    }

    /**
     * The backbone's eager forward, its intermediates and outputs scoped to a sub-manager per call.
     *
     * @return the number of pyramid levels
     */
    @Benchmark
    public int eagerForward() {
        try (NDManager run = manager.newSubManager()) {
            input.tempAttach(run);
            return backbone.forward(new NDList(input)).size();
        }
    }
}
