package org.fx4j.detection.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fx4j.detection.rcnn.DetectionTarget;
import org.fx4j.detection.rcnn.GeneralizedRCNN;

/**
 * One training iteration of a detection model, as torchvision's reference {@code train_one_epoch}:
 * the losses of a batch (training mode), their sum backpropagated inside a DJL {@code
 * GradientCollector}, the gradients clipped to a norm and an SGD step. An iteration whose loss or
 * gradient norm is not finite is skipped (gradients zeroed, weights untouched). Attaches gradients to
 * the model's trainable parameters on construction and detaches them on {@link #close()}.
 */
public final class TrainingStep implements AutoCloseable {

    private final GeneralizedRCNN model;
    private final SgdOptimizer sgd;
    private final double clipNorm;
    private final Map<String, Parameter> parameters;

    /**
     * @param model the model (put in training mode by each iteration)
     * @param sgd the optimiser over the model's trainable parameters
     * @param clipNorm the largest gradient norm ({@code Double.POSITIVE_INFINITY} for no clipping)
     */
    public TrainingStep(GeneralizedRCNN model, SgdOptimizer sgd, double clipNorm) {
        this.model = model;
        this.sgd = sgd;
        this.clipNorm = clipNorm;
        this.parameters = model.namedParameters();
        for (Parameter p : parameters.values()) {
            p.getArray().setRequiresGradient(true);
        }
    }

    /**
     * Runs one iteration. The images and targets are freed with {@code scope}'s closing by the caller;
     * nothing of the iteration outlives it except the updated weights and optimiser state.
     *
     * @param images the batch's images
     * @param targets their targets
     * @param learningRate the rate of this step
     * @return {@code loss} (the sum) and the five losses by name; {@code loss} is NaN or infinite when
     *     the iteration was skipped
     */
    public Map<String, Double> run(List<NDArray> images, List<DetectionTarget> targets, double learningRate) {
        Map<String, Double> values = new LinkedHashMap<>();
        boolean finite;
        if (!model.isTraining()) {
            model.train();
        }
        try (NDManager scope = images.get(0).getManager().newSubManager();
                GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            Map<String, NDArray> losses = model.losses(images, targets);
            NDArray total = null;
            for (NDArray l : losses.values()) {
                l.attach(scope);
                total = total == null ? l : total.add(l);
            }
            total.attach(scope);
            values.put("loss", (double) total.getFloat());
            losses.forEach((k, v) -> values.put(k, (double) v.getFloat()));
            finite = Double.isFinite(values.get("loss"));
            if (finite) {
                collector.backward(total);
            }
        }
        double norm = finite ? sgd.clipGradNorm(clipNorm) : Double.NaN;
        if (finite && Double.isFinite(norm)) {
            sgd.step(learningRate);
        } else {
            sgd.zeroGradients();
            if (finite) {
                values.put("loss", Double.NaN);
            }
        }
        return values;
    }

    @Override
    public void close() {
        for (Parameter p : parameters.values()) {
            p.getArray().setRequiresGradient(false);
        }
    }
}
