package org.fx4j.examples.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fx convert IN OUT.safetensors [--key KEY] [--prefix PREFIX]}: a checkpoint's state dict to safetensors. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Convert a checkpoint (torch.save .pth, .npz, safetensors) to safetensors.")
public final class ConvertCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The checkpoint to read.")
    private Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The safetensors file to write (*.safetensors).")
    private Path out;

    @Option(names = "--key", paramLabel = "KEY", description = "Top-level key holding the state dict.")
    private String key;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Key prefix to strip, e.g. module.")
    private String prefix;

    @Option(names = "--force", description = "Replace OUT if it exists.")
    private boolean force;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (out.getFileName() == null || !out.getFileName().toString().endsWith(".safetensors")) {
            throw new ParameterException(spec.commandLine(),
                    "fx convert writes safetensors: name the output *.safetensors, got " + out);
        }
        if (OutputPaths.sameFile(in, out)) {
            throw new ParameterException(spec.commandLine(), "OUT '" + out + "' is IN; name another file");
        }
        OutputPaths.checkFile(spec, "OUT", out, force);
        CheckpointOptions.Builder b = CheckpointOptions.builder();
        if (key != null) {
            b.optKey(key);
        }
        if (prefix != null) {
            b.optPrefix(prefix);
        }
        long start = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoints.Format format = Checkpoints.detect(in);
            Checkpoints.Conversion c = Checkpoints.convert(in, out, manager, b.build());
            PrintWriter w = spec.commandLine().getOut();
            w.printf(Locale.ROOT, "wrote %d tensors from %s (%s) to %s in %.0f ms%n", c.size(), in, format, out,
                    (System.nanoTime() - start) / 1e6);
            if (!c.widened().isEmpty()) {
                Map<String, Long> byType = new TreeMap<>();
                c.widened().values().forEach(t -> byType.merge(t, 1L, Long::sum));
                StringBuilder sb = new StringBuilder();
                byType.forEach((t, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(n).append(" x ").append(t)
                        .append(t.toLowerCase(Locale.ROOT).contains("bf") ? " -> F32" : " -> I32"));
                w.println("note: widened " + c.widened().size() + " tensors exactly (" + sb + "): DJL has no bfloat16"
                        + " or int16 arrays, so OUT holds them as float32/int32, e.g. '"
                        + org.fx4j.io.SafeText.of(c.widened().keySet().iterator().next()) + "'");
            }
            w.flush();
        }
        return 0;
    }
}
