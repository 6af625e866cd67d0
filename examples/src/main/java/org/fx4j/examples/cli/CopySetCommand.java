package org.fx4j.examples.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fx4j.examples.retrieval.CopyCollection;
import org.fx4j.examples.retrieval.CopyEdit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fx copyset --out DIR [--count 500] [--copies 50] [--seed 1]}: writes a generated
 * copy-detection collection ({@link CopyCollection}) for {@code fx index} and {@code fx copyeval}.
 */
@Command(name = "copyset", mixinStandardHelpOptions = true,
        description = "Write a generated copy-detection collection: DIR/collection (originals) and DIR/queries/<edit>"
                + " (edited copies named as their originals).")
public final class CopySetCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (new or empty).")
    private Path out;

    @Option(names = "--count", defaultValue = "500", description = "Originals (default ${DEFAULT-VALUE}).")
    private int count;

    @Option(names = "--copies", defaultValue = "50",
            description = "Originals that get one copy per edit (default ${DEFAULT-VALUE}).")
    private int copies;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default ${DEFAULT-VALUE}).")
    private long seed;

    /** {@inheritDoc} */
    @Override
    public Integer call() throws IOException {
        CliChecks.atLeast(spec, "--count", count, 1);
        CliChecks.atLeast(spec, "--copies", copies, 0);
        if (copies > count) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--copies " + copies
                    + " is more than --count " + count);
        }
        OutputPaths.checkDirectory(spec, "--out", out, false);
        CopyCollection.generate(out, count, copies, seed);
        PrintWriter w = spec.commandLine().getOut();
        w.println("# wrote " + count + " originals to " + out.resolve(CopyCollection.COLLECTION) + " and "
                + copies * CopyEdit.values().length + " copies (" + copies + " per edit) to "
                + out.resolve(CopyCollection.QUERIES));
        w.flush();
        return 0;
    }
}
