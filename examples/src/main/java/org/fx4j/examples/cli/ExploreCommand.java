package org.fx4j.examples.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import org.fx4j.features.NodeSummary;
import org.fx4j.fx.TraceOptions;
import org.fx4j.nn.Module;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fx explore MODEL [--size 224] --out graph.html}: one self-contained HTML page listing every
 * node of the model's evaluation graph in execution order (op, module, output shape, channels and
 * stride from shape propagation), grouped by stage, with a search box; ticking nodes shows the
 * extractor code for them (Java, {@code fx extract}, torchvision).
 */
@Command(name = "explore", mixinStandardHelpOptions = true,
        description = "Write an HTML page to browse a model's nodes and build an extractor by ticking them.")
public final class ExploreCommand implements Callable<Integer> {

    private static final String PAGE = "/org/fx4j/examples/explore/page.html";

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "MODEL", description = "Model name, e.g. resnet50.")
    private String model;

    @Option(names = "--size", defaultValue = "224", description = "Probe image side for the shapes (default"
            + " ${DEFAULT-VALUE}).")
    private int size;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The HTML file to write.")
    private Path out;

    @Option(names = "--force", description = "Replace FILE if it exists.")
    private boolean force;

    private final ModelCatalog catalog;

    /**
     * Creates the command.
     *
     * @param catalog the known models
     */
    @Inject
    public ExploreCommand(ModelCatalog catalog) {
        this.catalog = catalog;
    }

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        CliChecks.size(spec, size);
        if (size % 32 != 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--size must be a multiple of 32,"
                    + " so that the strides read from the shapes are exact (got " + size + "; try "
                    + Math.max(32, size / 32 * 32) + ")");
        }
        OutputPaths.checkFile(spec, "--out", out, force);
        List<NodeSummary> nodes;
        try (NDManager manager = NDManager.newBaseManager()) {
            Module net = catalog.createInitialized(model, manager);
            nodes = NodeSummary.of(net, new Shape(1, 3, size, size), TraceOptions.builder().suppressDiffWarning(true)
                    .build());
        }
        String html = page(model, size, nodes);
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), ".fx-explore", ".tmp");
        try {
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        PrintWriter w = spec.commandLine().getOut();
        w.println("# wrote " + out + ": " + nodes.size() + " nodes of " + model + " (eval mode, probe 1x3x" + size + "x"
                + size + ")");
        w.flush();
        return 0;
    }

    /**
     * Renders the page.
     *
     * @param model the model's catalog name
     * @param size the probe side
     * @param nodes the nodes, in execution order
     * @return the HTML
     * @throws IOException if the template cannot be read
     */
    static String page(String model, int size, List<NodeSummary> nodes) throws IOException {
        JsonArray list = new JsonArray();
        for (NodeSummary n : nodes) {
            JsonObject o = new JsonObject();
            o.addProperty("name", n.name());
            o.addProperty("op", n.op());
            o.addProperty("target", n.target());
            o.addProperty("module", n.moduleClass().isEmpty() ? n.modulePath() : n.target() + " (" + n.moduleClass()
                    + ")");
            o.addProperty("stage", stage(n.name()));
            if (n.shape() == null) {
                o.add("shape", null);
            } else {
                JsonArray shape = new JsonArray();
                for (long d : n.shape().getShape()) {
                    shape.add(d);
                }
                o.add("shape", shape);
            }
            o.addProperty("channels", n.channels());
            o.addProperty("stride", n.stride());
            list.add(o);
        }
        JsonObject data = new JsonObject();
        data.addProperty("model", model);
        data.addProperty("factory", "ModelRegistry.create(\"" + model + "\")");
        data.add("nodes", list);
        String template;
        try (InputStream in = ExploreCommand.class.getResourceAsStream(PAGE)) {
            if (in == null) {
                throw new IOException("the page template " + PAGE + " is missing from the classpath");
            }
            template = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        // Gson's default escaping turns <, > and & into \\u003c...: the JSON cannot close the script element
        String json = new Gson().toJson(data);
        String title = (model + ", " + nodes.size() + " nodes, probe 1x3x" + size + "x" + size).replace("&", "&amp;")
                .replace("<", "&lt;").replace(">", "&gt;");
        return template.replace("__TITLE__", title).replace("__DATA__", json);
    }

    /** The stage a node belongs to: its first name component, with the next one when that is a block number. */
    static String stage(String name) {
        String[] parts = name.split("\\.");
        if (parts.length > 2 && parts[1].matches("\\d+")) {
            return parts[0] + "." + parts[1];
        }
        return parts.length > 1 ? parts[0] : "(top level)";
    }
}
