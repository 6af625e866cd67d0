package org.fx4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.FeatureExtractor;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.models.ResNets;
import org.fx4j.nn.Module;

/**
 * The README's quick start, runnable: {@code java ... org.fx4j.examples.QuickStart [resnet50.pth]}
 * (random weights without a checkpoint).
 */
public final class QuickStart {

    private QuickStart() {}

    /**
     * Lists resnet50's nodes, extracts layer1 and layer4 of a random batch, prints shapes and code.
     *
     * @param args optionally a resnet50 checkpoint (torch.save .pth, safetensors or .npz)
     * @throws IOException if the checkpoint cannot be read
     */
    public static void main(String[] args) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Module resnet50 = ResNets.resnet50();
            if (args.length > 0) {
                Checkpoints.load(resnet50, Path.of(args[0]), manager);
            } else {
                resnet50.initialize(manager);
            }
            resnet50.eval();

            GraphNodeNames names = FeatureExtraction.getGraphNodeNames(resnet50);
            System.out.println(names.eval().subList(0, 8) + " ... " + names.eval().size() + " nodes");

            FeatureExtractor extractor = FeatureExtraction.createFeatureExtractor(
                    resnet50, Map.of("layer1", "c2", "layer4", "c5"));
            NDArray images = manager.randomUniform(0f, 1f, new Shape(8, 3, 224, 224));
            Map<String, NDArray> features = extractor.extract(images);
            System.out.println(features.get("c2").getShape() + " " + features.get("c5").getShape());
            System.out.println(extractor.code());
        }
    }
}
