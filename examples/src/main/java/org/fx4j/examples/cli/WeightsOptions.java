package org.fx4j.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import org.fx4j.checkpoint.CheckpointOptions;
import org.fx4j.checkpoint.Checkpoints;
import org.fx4j.checkpoint.LoadReport;
import org.fx4j.nn.Module;
import picocli.CommandLine.Option;

/** The {@code --weights}, {@code --key} and {@code --prefix} options shared by commands. */
public final class WeightsOptions {

    @Option(names = "--weights", paramLabel = "FILE",
            description = "Checkpoint to load (torch.save .pth in zip or legacy format, .safetensors, .npz);"
                    + " default: torchvision's random initialisation, seed 0.")
    Path weights;

    @Option(names = "--key", paramLabel = "KEY",
            description = "Top-level key holding the state dict (found automatically: state_dict, model, ...).")
    String key;

    @Option(names = "--prefix", paramLabel = "PREFIX", description = "Key prefix to strip, e.g. module.")
    String prefix;

    /**
     * Returns the reading options these flags describe.
     *
     * @return the options (strict)
     */
    CheckpointOptions checkpointOptions() {
        return checkpointOptions(false);
    }

    /**
     * Returns the reading options these flags describe.
     *
     * @param prefixSelects whether {@code --prefix} also drops the keys without it (a detection checkpoint's
     *     {@code rpn.*} when its {@code backbone.*} is loaded)
     * @return the options (strict)
     */
    CheckpointOptions checkpointOptions(boolean prefixSelects) {
        CheckpointOptions.Builder b = CheckpointOptions.builder();
        if (key != null) {
            b.optKey(key);
        }
        if (prefix != null) {
            if (prefixSelects) {
                b.optOnlyPrefixed(prefix);
            } else {
                b.optPrefix(prefix);
            }
        }
        return b.build();
    }

    /**
     * Initialises a model: loads {@code --weights} strictly, or initialises it randomly.
     *
     * @param model the model
     * @param manager owns the parameters
     * @return a one-line description of the weights
     * @throws IOException if the checkpoint cannot be read or does not fit the model
     */
    String apply(Module model, NDManager manager) throws IOException {
        return apply(model, manager, false);
    }

    /**
     * Initialises a model: loads {@code --weights} strictly, or initialises it randomly.
     *
     * @param model the model
     * @param manager owns the parameters
     * @param prefixSelects whether {@code --prefix} keeps only the keys with it
     * @return a one-line description of the weights
     * @throws IOException if the checkpoint cannot be read or does not fit the model
     */
    String apply(Module model, NDManager manager, boolean prefixSelects) throws IOException {
        if (weights == null) {
            Engine.getInstance().setRandomSeed(ModelCatalog.SEED);
            model.initialize(manager);
            return "torchvision random initialisation, seed " + ModelCatalog.SEED;
        }
        long start = System.nanoTime();
        LoadReport report = Checkpoints.load(model, weights, manager, checkpointOptions(prefixSelects));
        double ms = (System.nanoTime() - start) / 1e6;
        return String.format(Locale.ROOT, "weights %s: %d tensors loaded in %.0f ms", weights, report.loadedCount(), ms);
    }
}
