package org.fx4j.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.concurrent.TimeUnit;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;
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
 * One training iteration of an fx4j backbone through DJL's {@link Trainer}: forward in training mode,
 * softmax cross-entropy, backward, SGD step. Run: {@code java -jar fx-bench/target/benchmarks.jar
 * TrainingBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"})
public class TrainingBenchmark {

    /** Backbone name from the registry. */
    @Param({"resnet18"})
    public String model;

    /** Batch size. */
    @Param({"8"})
    public int batch;

    /** Image side. */
    @Param({"224"})
    public int size;

    /** cpu or gpu (skipped with a message where DJL sees no GPU). */
    @Param({"cpu"})
    public String device;

    private Model djlModel;
    private Trainer trainer;
    private NDArray images;
    private NDArray labels;

    /** Creates the model, the trainer and a fixed batch. */
    @Setup(Level.Trial)
    public void setUp() {
        Device d = BenchDevices.resolve(device);
        Engine.getInstance().setRandomSeed(0);
        Module net = ModelRegistry.create(model);
        net.train();
        djlModel = Model.newInstance("fx4j-" + model, d);
        djlModel.setBlock(net);
        DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                .optOptimizer(Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.01f)).build())
                .optDevices(new Device[] {d});
        trainer = djlModel.newTrainer(config);
        trainer.initialize(new Shape(batch, 3, size, size));
        NDManager m = trainer.getManager();
        images = m.randomUniform(0f, 1f, new Shape(batch, 3, size, size));
        labels = m.randomInteger(0, 1000, new Shape(batch), ai.djl.ndarray.types.DataType.INT64);
    }

    /** Closes the trainer and the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        trainer.close();
        djlModel.close();
    }

    /**
     * Forward, loss, backward and optimizer step on one batch.
     *
     * @return the loss
     */
    @Benchmark
    public float trainStep() {
        float loss;
        try (NDManager step = trainer.getManager().newSubManager()) {
            images.tempAttach(step);
            labels.tempAttach(step);
            try (GradientCollector gc = trainer.newGradientCollector()) {
                NDList predictions = trainer.forward(new NDList(images));
                NDArray l = trainer.getLoss().evaluate(new NDList(labels), predictions);
                gc.backward(l);
                loss = l.getFloat();
            }
        }
        trainer.step();
        return loss;
    }
}
