package org.fx4j.examples.cli;

import com.google.gson.GsonBuilder;
import com.google.inject.Inject;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.fx4j.features.FeatureExtraction;
import org.fx4j.features.GraphNodeNames;
import org.fx4j.fx.TraceOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code fx nodes MODEL [--fpn] [--mode train|eval] [--json]}: the graph node names, as
 * get_graph_node_names, of the model or of its FPN backbone.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true, description = "List a model's graph nodes (train and eval).")
public final class NodesCommand implements Callable<Integer> {

    /** The modes a node list can be asked for. */
    public enum Mode {
        /** Training-mode graph. */
        train,
        /** Evaluation-mode graph. */
        eval
    }

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Model name, e.g. resnet50.")
    private String model;

    @Option(names = "--mode", description = "Only this mode's nodes: ${COMPLETION-CANDIDATES}.")
    private Mode mode;

    @Option(names = "--json", description = "Print JSON: {\"train\":[...],\"eval\":[...]}.")
    private boolean json;

    @Option(names = "--list", description = "List the known models instead.")
    private boolean list;

    @Option(names = "--fpn", description = "The nodes of MODEL's detection backbone with an FPN (resnetFpnBackbone;"
            + " mobilenetBackbone for mobilenet_v2/v3), as torchvision's resnet_fpn_backbone.")
    private boolean fpn;

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public NodesCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (list) {
            catalog.names().forEach(out::println);
            out.flush();
            return 0;
        }
        if (model == null) {
            throw new IllegalArgumentException("missing MODEL, e.g. `fx nodes resnet50`; `fx nodes --list` lists the models");
        }
        GraphNodeNames names = FeatureExtraction.getGraphNodeNames(
                fpn ? FpnBackboneCatalog.create(model) : catalog.create(model),
                TraceOptions.builder().suppressDiffWarning(true).build());
        if (json) {
            Map<String, List<String>> obj = new LinkedHashMap<>();
            if (mode != Mode.eval) {
                obj.put("train", names.train());
            }
            if (mode != Mode.train) {
                obj.put("eval", names.eval());
            }
            out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(obj));
        } else if (mode != null) {
            names.forMode(mode == Mode.train).forEach(out::println);
        } else if (names.train().equals(names.eval())) {
            names.eval().forEach(out::println);
        } else {
            out.println("# train");
            names.train().forEach(out::println);
            out.println("# eval");
            names.eval().forEach(out::println);
        }
        out.flush();
        return 0;
    }
}
