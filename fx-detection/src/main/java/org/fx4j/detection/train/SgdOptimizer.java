package org.fx4j.detection.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code torch.optim.SGD} with momentum and weight decay (dampening 0, not Nesterov): per parameter
 * {@code d = grad + weightDecay * p}, {@code buf = d} on the first step and {@code momentum * buf + d}
 * after, {@code p -= lr * buf}; plus {@code clip_grad_norm_} over all gradients. The momentum buffers
 * live in the optimiser's own manager ({@link #close()} frees them) and can be saved and restored
 * for resuming.
 */
public final class SgdOptimizer implements AutoCloseable {

    private final Map<String, Parameter> parameters;
    private final double momentum;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    /**
     * @param parameters the trainable parameters by name (their gradients must be attached)
     * @param momentum the momentum factor, in [0, 1)
     * @param weightDecay the L2 penalty, at least 0
     * @param manager the manager the buffers' manager is made under
     */
    public SgdOptimizer(Map<String, Parameter> parameters, double momentum, double weightDecay, NDManager manager) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and at least 0, got " + weightDecay);
        }
        this.parameters = new LinkedHashMap<>(parameters);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.manager = manager.newSubManager();
    }

    /**
     * {@code clip_grad_norm_}: the L2 norm of all gradients together; when above {@code maxNorm}
     * every gradient is scaled by {@code maxNorm / (norm + 1e-6)}.
     *
     * @param maxNorm the largest norm kept; infinite to only measure
     * @return the norm before clipping (NaN or infinite when a gradient is)
     */
    public double clipGradNorm(double maxNorm) {
        double sq = 0;
        try (NDManager scope = manager.newSubManager()) {
            for (Parameter p : parameters.values()) {
                NDArray g = p.getArray().getGradient();
                g.attach(scope); // what is computed from it lands in the scope too
                sq += g.square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            }
            double norm = Math.sqrt(sq);
            double coef = maxNorm / (norm + 1e-6);
            if (Double.isFinite(norm) && coef < 1) {
                for (Parameter p : parameters.values()) {
                    NDArray g = p.getArray().getGradient();
                    g.attach(scope);
                    g.muli(coef);
                }
            }
            return norm;
        }
    }

    /**
     * One update with the given learning rate, then the gradients are zeroed.
     *
     * @param lr the learning rate
     */
    public void step(double lr) {
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
                NDArray p = e.getValue().getArray();
                NDArray g = p.getGradient();
                g.attach(scope);
                if (weightDecay != 0) {
                    g.addi(scope(p.mul(weightDecay), scope)); // the gradient is zeroed below: no copy needed
                }
                NDArray d = g;
                NDArray buf = buffers.get(e.getKey());
                if (momentum == 0) {
                    buf = d;
                } else if (buf == null) {
                    buf = d.duplicate();
                    buf.attach(manager);
                    buffers.put(e.getKey(), buf);
                } else {
                    buf.muli(momentum).addi(d);
                }
                p.subi(scope(buf.mul(lr), scope));
                JniUtils.zeroGrad((PtNDArray) p);
            }
        } finally {
            JniUtils.setGradMode(grad);
            org.fx4j.nn.Module.weightsChanged(); // parameters changed in place: cached folds are stale
        }
    }

    /** Zeroes the gradients without an update (a skipped step). */
    public void zeroGradients() {
        for (Parameter p : parameters.values()) {
            JniUtils.zeroGrad((PtNDArray) p.getArray());
        }
    }

    private static NDArray scope(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /** @return the momentum buffers by parameter name (views owned by the optimiser) */
    public Map<String, NDArray> buffers() {
        return java.util.Collections.unmodifiableMap(buffers);
    }

    /**
     * Restores momentum buffers (copied into the optimiser's manager).
     *
     * @param saved buffers by parameter name, each of its parameter's shape
     * @throws IllegalArgumentException naming an unknown parameter or a wrong shape
     */
    public void loadBuffers(Map<String, NDArray> saved) {
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            Parameter p = parameters.get(e.getKey());
            if (p == null) {
                throw new IllegalArgumentException("saved momentum for '" + e.getKey() + "', which is not a trainable"
                        + " parameter of this model");
            }
            if (!p.getArray().getShape().equals(e.getValue().getShape())) {
                throw new IllegalArgumentException("saved momentum for '" + e.getKey() + "' has shape "
                        + e.getValue().getShape() + " but the parameter has " + p.getArray().getShape());
            }
            NDArray copy = e.getValue().toType(p.getArray().getDataType(), true).duplicate();
            copy.attach(manager);
            NDArray old = buffers.put(e.getKey(), copy);
            if (old != null) {
                old.close();
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
