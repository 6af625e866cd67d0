package org.fx4j.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;
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
 * Extraction latency: the extractor's forward vs the eager forward of the full model (with
 * {@code nodes=layer1} this shows what pruning saves), and tracing + building an extractor.
 * Images per second = batch * 1000 / (ms per op).
 *
 * <p>Run: {@code java -jar fx-bench/target/benchmarks.jar ExtractionBenchmark -rf json}; add {@code
 * -p device=gpu} on a machine with a CUDA libtorch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class ExtractionBenchmark extends InferenceBenchmark {

    /** Backbone name from the registry. */
    @Param({"resnet50"})
    public String model;

    /** Batch size. */
    @Param({"1", "8", "32"})
    public int batch;

    /** Comma-separated return nodes: an early node, or the four stages. */
    @Param({"layer1", "layer1,layer2,layer3,layer4"})
    public String nodes;

    private Module net;
    private FeatureExtractor extractor;
    private NDArray input;

    /** Builds the model, the extractor and the input once per trial. */
    @Override
    protected void build() {
        net = ModelRegistry.create(model);
        net.initialize(manager);
        net.eval();
        extractor = FeatureExtraction.createFeatureExtractor(net, nodeList());
        extractor.eval();
        input = manager.randomUniform(0f, 1f, new Shape(batch, 3, 224, 224));
    }

    private List<String> nodeList() {
        return Arrays.asList(nodes.split(","));
    }

    /**
     * The extractor's forward (intermediates closed as it goes).
     *
     * @return the number of outputs (the outputs are closed)
     */
    @Benchmark
    public int extractorForward() {
        try (NDList out = extractor.forward(new NDList(input))) {
            return out.size();
        }
    }

    /**
     * The eager forward of the full model, its intermediates scoped to a sub-manager per call.
     *
     * @return the number of outputs
     */
    @Benchmark
    public int eagerForward() {
        try (NDManager run = manager.newSubManager()) {
            input.tempAttach(run);
            return net.forward(new NDList(input)).size();
        }
    }

    /**
     * Tracing both modes, pruning and building the extractor.
     *
     * @return the number of outputs
     */
    @Benchmark
    public int traceAndBuild() {
        return FeatureExtraction.createFeatureExtractor(net, nodeList()).outputNames().size();
    }
}
