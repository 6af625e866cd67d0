package org.fx4j.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** Resolves the {@code device} parameter of the benchmarks; GPU runs are skipped where DJL sees none. */
final class BenchDevices {

    private BenchDevices() {}

    static Device resolve(String device) {
        Engine engine = Engine.getInstance();
        JniUtils.setGradMode(false);
        switch (device) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                if (engine.getGpuCount() == 0) {
                    throw new IllegalStateException("GPU benchmark skipped: DJL sees no GPU (this build uses the CPU"
                            + " libtorch; build with -Dgpu and a CUDA libtorch, see the README's GPU section)");
                }
                return Device.gpu();
            default:
                throw new IllegalArgumentException("device must be cpu or gpu, got " + device);
        }
    }
}
