package org.fx4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Arrays;
import java.util.Locale;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;

/**
 * Peak native memory of forwards: the growth of anonymous resident memory (sampled every
 * millisecond) during repeated extractor forwards or eager full-model forwards, after the model is
 * loaded. Run each mode in its own JVM (Linux only):
 * {@code java -cp fx-bench/target/benchmarks.jar org.fx4j.bench.ForwardMemoryProbe resnet50 layer1,layer2,layer3,layer4 8 extractor|eager}.
 */
public final class ForwardMemoryProbe {

    private ForwardMemoryProbe() {}

    /**
     * Runs the probe and prints one JSON object.
     *
     * @param args model, nodes, batch, mode (extractor or eager), optional forwards (default 10)
     */
    public static void main(String[] args) {
        if (args.length < 4) {
            System.err.println("usage: ForwardMemoryProbe MODEL NODES BATCH extractor|eager [FORWARDS]");
            System.exit(2);
        }
        String name = args[0];
        int batch = Integer.parseInt(args[2]);
        boolean eager = args[3].equals("eager");
        int forwards = args.length > 4 ? Integer.parseInt(args[4]) : 10;
        Engine.getInstance();
        JniUtils.setGradMode(false);
        try (NDManager manager = NDManager.newBaseManager()) {
            Module net = ModelRegistry.create(name);
            net.initialize(manager);
            net.eval();
            FeatureExtractor fx = FeatureExtraction.createFeatureExtractor(net, Arrays.asList(args[1].split(",")));
            fx.eval();
            NDArray x = manager.randomUniform(0f, 1f, new Shape(batch, 3, 224, 224));
            RssSampler rss = RssSampler.start();
            long start = System.nanoTime();
            for (int i = 0; i < forwards; i++) {
                if (eager) {
                    try (NDManager run = manager.newSubManager()) {
                        x.tempAttach(run);
                        net.forward(new NDList(x));
                    }
                } else {
                    fx.forward(new NDList(x)).close();
                }
            }
            double ms = (System.nanoTime() - start) / 1e6 / forwards;
            long growth = rss.peakGrowth();
            rss.close();
            System.out.printf(Locale.ROOT,
                    "{\"model\":\"%s\",\"nodes\":\"%s\",\"batch\":%d,\"mode\":\"%s\",\"forwards\":%d,\"mean_ms\":%.1f,"
                            + "\"anon_rss_growth_peak_mb\":%.1f}%n",
                    name, args[1], batch, args[3], forwards, ms, growth / 1e6);
        }
    }
}
