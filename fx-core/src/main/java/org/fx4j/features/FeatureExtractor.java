package org.fx4j.features;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fx4j.fx.Graph;
import org.fx4j.fx.GraphModule;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Module;

/**
 * A model truncated to the chosen nodes: torchvision's {@code DualGraphModule}. It keeps the pruned
 * training and evaluation graphs, runs the one of the current pass's mode, and returns the chosen
 * features as an {@link NDList} of arrays named after the outputs, in execution order.
 *
 * <p>Its children are the source model's modules that some output depends on, under their original
 * paths, shared with the source model (as torchvision shares them); {@link #stateDict()} has the
 * source model's keys for them.
 *
 * <p>Modes, per module as in PyTorch: the extractor starts in the source model's mode. Its {@link
 * #train(boolean)} / {@link #eval()} pick the graph and set the whole source model's mode, since the
 * extractor shares its modules (torchvision's {@code DualGraphModule} switches only the shared
 * leaves, leaving their parents in the other mode). The evaluation graph runs every module in
 * evaluation mode. The training graph runs each module in its own mode, so a part switched to eval
 * afterwards (a frozen backbone's batch norms) stays in eval. When DJL calls it ({@code Predictor}:
 * {@code training=false}), the evaluation graph runs. An extractor inside
 * another model traces again, named as torch.fx names a re-traced graph module ({@code body.add_13}).
 */
public final class FeatureExtractor extends Module {

    private final GraphModule trainModule;
    private final GraphModule evalModule;
    private final Module source;

    FeatureExtractor(GraphModule trainModule, GraphModule evalModule, Module source) {
        this.source = source;
        this.trainModule = trainModule;
        this.evalModule = evalModule;
        Set<String> childPaths = new HashSet<>();
        Set<String> parameterPaths = new HashSet<>();
        for (GraphModule gm : List.of(trainModule, evalModule)) {
            for (Pair<String, Block> child : gm.namedChildren()) {
                if (childPaths.add(child.getKey())) {
                    registerPath(child.getKey(), child.getValue());
                }
            }
            for (Pair<String, Parameter> p : gm.getDirectParameters()) {
                if (parameterPaths.add(p.getKey())) {
                    registerParameterPath(p.getKey(), p.getValue());
                }
            }
        }
        super.setMode(source != null && source.isTraining());
        evalModule.foldBatchNorms(true);
    }

    /**
     * Sets whether the evaluation graph runs with each batch norm folded into the convolution before
     * it (on by default): one convolution with weights {@code w * gamma / sqrt(var + eps)} and the
     * matching bias instead of a convolution and a pass over its output. The folded weights are the
     * extractor's own arrays (the model's parameters and state-dict keys are untouched), computed on
     * first use and again whenever the parameters' arrays are replaced ({@code Checkpoints.load}) or
     * weights may have changed in place ({@link Module#weightsGeneration()}: {@code train()} / {@code
     * eval()} calls, gradient-recording passes, training batch-norm passes, checkpoint loads); after
     * editing parameter arrays by hand call {@link Module#weightsChanged()}. Training-mode passes, and
     * passes that record gradients, always run unfolded. The folded weights take as much memory again
     * as the folded convolutions' weights; turning folding off frees them. The same pass hands the input of
     * an {@code Identity} or evaluation-mode {@code Dropout} on without calling it.
     *
     * @param on false to run the graph as traced
     * @return this extractor
     */
    public FeatureExtractor foldBatchNorms(boolean on) {
        evalModule.foldBatchNorms(on);
        return this;
    }

    /**
     * Sets whether the evaluation graph's float32 CPU passes may run their beginning as one oneDNN program
     * (on by default: the leading convolutions, folded norms, ReLUs, max pooling, residual adds and identities,
     * all of a ResNet-style extractor): see {@link GraphModule#useOneDnn(boolean)}. It is
     * part of the inference pass, so {@link #foldBatchNorms(boolean) foldBatchNorms(false)} turns it off
     * too. The packed weights take as much memory again as the convolutions' weights; turning it off frees them.
     *
     * @param on false to run every pass node by node
     * @return this extractor
     */
    public FeatureExtractor useOneDnn(boolean on) {
        evalModule.useOneDnn(on);
        return this;
    }

    /**
     * Returns whether the evaluation graph folds batch norms into convolutions.
     *
     * @return true unless turned off with {@link #foldBatchNorms(boolean)}
     */
    public boolean foldsBatchNorms() {
        return evalModule.foldsBatchNorms();
    }

    /**
     * Returns the graph module of a mode.
     *
     * @param training true for the training graph
     * @return the graph module
     */
    public GraphModule graphModule(boolean training) {
        return training ? trainModule : evalModule;
    }

    /**
     * Returns the pruned graph of a mode.
     *
     * @param training true for the training graph
     * @return the graph
     */
    public Graph graph(boolean training) {
        return graphModule(training).graph();
    }

    /**
     * Returns the output names of a mode, in execution order.
     *
     * @param training true for the training graph
     * @return the names
     */
    public List<String> outputNames(boolean training) {
        return new ArrayList<>(graph(training).outputs().keySet());
    }

    /**
     * Returns the output names of the current mode.
     *
     * @return the names
     */
    public List<String> outputNames() {
        return outputNames(isTraining());
    }

    /**
     * Returns the current mode's graph as readable Java-like code.
     *
     * @return the code
     */
    public String code() {
        return graphModule(isTraining()).code();
    }

    /** {@inheritDoc} */
    @Override
    public List<String> inputNames() {
        return graphModule(isTraining()).inputNames();
    }

    /**
     * Sets the extractor's mode, which picks the graph it runs, and the mode of every module of the
     * source model it was made from ({@code model.train(mode)}), so the model's modules stay
     * consistent: the extractor shares them. Switch parts back afterwards to freeze them, as after
     * PyTorch's {@code model.train()}.
     *
     * @param mode true for training
     */
    @Override
    protected void setMode(boolean mode) {
        super.setMode(mode);
        if (source != null) {
            source.train(mode);
        }
    }

    /** {@inheritDoc} */
    @Override
    public NDList forward(ForwardContext ctx, NDList inputs) {
        if (ctx.isTraining()) {
            return trainModule.forward(ctx, inputs);
        }
        return evalModule.forward(ctx.allEval(), inputs);
    }

    /**
     * Runs the extractor in its current mode and returns the features by name.
     *
     * @param inputs the model inputs (for a backbone: one NCHW image batch)
     * @return output name to array, in execution order; the caller owns (and closes) the arrays
     */
    public Map<String, NDArray> extract(NDArray... inputs) {
        NDList out = forward(new NDList(inputs));
        Map<String, NDArray> map = new LinkedHashMap<>();
        for (NDArray a : out) {
            map.put(a.getName(), a);
        }
        return map;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FeatureExtractor(" + trainModule.className() + ", outputs=" + outputNames() + ")";
    }
}
