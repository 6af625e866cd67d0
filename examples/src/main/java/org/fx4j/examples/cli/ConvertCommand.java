package org.fx4j.examples.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
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

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw new IllegalArgumentException("fx convert writes safetensors: name the output *.safetensors, got " + out);
        }
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
            int n = Checkpoints.convertToSafetensors(in, out, manager, b.build());
            PrintWriter w = spec.commandLine().getOut();
            w.printf(Locale.ROOT, "wrote %d tensors from %s (%s) to %s in %.0f ms%n", n, in, format, out,
                    (System.nanoTime() - start) / 1e6);
            w.flush();
        }
        return 0;
    }
}
