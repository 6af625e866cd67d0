package org.fx4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.fx4j.detection.DetectionBackbones;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;
import org.fx4j.runtime.MallocSettings;

/**
 * Times one extractor with its inference pass off and on, alternating in rounds inside one JVM (two
 * processes differ by more than the pass is worth on this machine; the order alternates, and the
 * first run after each switch, which refolds the weights, is not timed): the model's graph up to its
 * second-to-last evaluation node, random initialisation, batch 1 at 224x224, 2 threads; or, for
 * {@code fpn:MODEL}, the traced detection backbone {@code resnetFpnBackbone(MODEL)} (FrozenBatchNorm2d,
 * the Mask R-CNN backbone) at 800x1088.
 *
 * <p>Run: {@code java -cp fx-bench/target/benchmarks.jar org.fx4j.bench.InferencePassProbe MODEL [ROUNDS] [RUNS]}
 * with fx's allocator settings in the environment; prints one JSON object.
 */
public final class InferencePassProbe {

    private InferencePassProbe() {}

    /**
     * Runs the probe.
     *
     * @param args model name, optional rounds (default 6, the first one untimed) and runs per round and
     *     mode (default 10)
     */
    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: InferencePassProbe MODEL [ROUNDS] [RUNS]");
            System.exit(2);
        }
        String name = args[0];
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        Engine.getInstance();
        JniUtils.setNumThreads(2);
        JniUtils.setGradMode(false);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            boolean fpn = name.startsWith("fpn:");
            Module model = fpn ? DetectionBackbones.resnetFpnBackbone(name.substring(4)) : ModelRegistry.create(name);
            model.initialize(manager);
            model.eval();
            String node;
            FeatureExtractor fx;
            if (fpn) {
                node = "fpn";
                fx = DetectionBackbones.traced(model);
                fx.eval();
            } else {
                List<String> nodes = FeatureExtraction.getGraphNodeNames(model).eval();
                node = nodes.get(nodes.size() - 2);
                fx = FeatureExtraction.createFeatureExtractor(model, List.of(node));
            }
            NDArray x = manager.randomUniform(0f, 1f, fpn ? new Shape(1, 3, 800, 1088) : new Shape(1, 3, 224, 224));
            List<List<Double>> samples = List.of(new ArrayList<>(), new ArrayList<>());
            int folded = 0;
            boolean oneDnn = false;
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < 2; k++) {
                    int mode = (r + k) % 2; // the order alternates between rounds
                    fx.foldBatchNorms(mode == 1);
                    for (int i = -1; i < runs; i++) { // run -1, untimed: turning the pass on refolds the weights
                        long t = System.nanoTime();
                        try (NDManager run = manager.newSubManager()) {
                            x.tempAttach(run);
                            fx.forward(new NDList(x)).close();
                        }
                        if (r > 0 && i >= 0) {
                            samples.get(mode).add((System.nanoTime() - t) / 1e6);
                        }
                    }
                    if (mode == 1) {
                        folded = fx.graphModule(false).foldedInLastPass();
                        oneDnn = fx.graphModule(false).oneDnnInLastPass();
                    }
                }
            }
            double traced = median(samples.get(0));
            double pass = median(samples.get(1));
            System.out.printf(Locale.ROOT, "{\"model\":\"%s\",\"node\":\"%s\",\"folded_pairs\":%d,\"onednn\":%b,\"traced_ms\":%.2f,"
                    + "\"inference_pass_ms\":%.2f,\"change\":%.3f,\"malloc\":\"%s\"}%n", name, node, folded, oneDnn, traced, pass,
                    pass / traced - 1, MallocSettings.current().describe());
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }
}
