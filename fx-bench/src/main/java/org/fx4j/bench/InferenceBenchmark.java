package org.fx4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import org.fx4j.runtime.MallocSettings;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every inference benchmark shares: the {@code device} parameter, a manager on that device and
 * DJL's random seed 0 before the subclass {@link #build}s its model and inputs, gradients off in each
 * iteration's thread, the manager closed after the trial, and a line on stderr when the process runs
 * without fx's allocator settings ({@link MallocSettings#RECOMMENDED}).
 */
@State(Scope.Benchmark)
public abstract class InferenceBenchmark {

    /** cpu or gpu (skipped with a message where DJL sees no GPU). */
    @Param({"cpu"})
    public String device;

    /** Owns the model and the inputs of a trial. */
    protected NDManager manager;

    /** Opens the trial's manager on the device, then builds the subclass's model and inputs. */
    @Setup(Level.Trial)
    public final void setUp() {
        MallocSettings malloc = MallocSettings.current();
        if (!malloc.isRecommended()) {
            // glibc's defaults page-fault freed tensor memory in again on every pass (README, "Native memory
            // and speed"): the figures then measure the allocator's state as much as the forward.
            System.err.println("fx-bench: glibc allocator settings: " + malloc.describe() + "; fx's are "
                    + MallocSettings.of(MallocSettings.RECOMMENDED::get).describe() + " (set them before java -jar)");
        }
        manager = NDManager.newBaseManager(BenchDevices.resolve(device));
        Engine.getInstance().setRandomSeed(0);
        build();
    }

    /** Builds the model and the inputs in {@link #manager}, once per trial. */
    protected abstract void build();

    /** Inference: libtorch's grad mode is per thread and on by default in new threads. */
    @Setup(Level.Iteration)
    public void noGrad() {
        JniUtils.setGradMode(false);
    }

    /** Releases native memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
    }
}
