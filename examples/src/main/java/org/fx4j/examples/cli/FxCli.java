package org.fx4j.examples.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import java.io.PrintWriter;
import org.fx4j.checkpoint.CheckpointException;
import org.fx4j.examples.inject.BackbonesModule;
import org.fx4j.examples.inject.GuiceFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code fx} command: list graph nodes, extract features, detect objects (Mask R-CNN), convert
 * checkpoints, benchmark, run the demo. Bad
 * input ends with one {@code fx: error: ...} line on stderr (a checkpoint that does not fit the model
 * lists all its mismatched keys) and exit status 2; set {@code FX_DEBUG=1} for stack traces.
 */
@Command(
        name = "fx",
        mixinStandardHelpOptions = true,
        version = "fx4j 0.1.0",
        description = "torchvision-grade feature extraction on DJL's PyTorch engine.",
        subcommands = {NodesCommand.class, ExtractCommand.class, IndexCommand.class, SearchCommand.class, CopiesCommand.class, CopySetCommand.class,
            CopyEvalCommand.class, ExploreCommand.class,
            DetectCommand.class, ConvertCommand.class, BenchCommand.class,
            DemoCommand.class, ShapesCommand.class, TrainCommand.class, EvalCommand.class})
public final class FxCli implements Runnable {

    /** Exit status for bad input. */
    public static final int BAD_INPUT = 2;

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    /** {@inheritDoc} */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Builds the command line with Guice-created commands.
     *
     * @return the command line
     */
    public static CommandLine commandLine() {
        Injector injector = Guice.createInjector(new BackbonesModule());
        CommandLine cli = new CommandLine(FxCli.class, new GuiceFactory(injector));
        // Bad flags, subcommands and option values: one line and a pointer to the command's help, no usage dump.
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            err.println("fx: error: " + parameterMessage(e) + " (see `" + cmd.getCommandSpec().qualifiedName()
                    + " --help`)");
            err.flush();
            return BAD_INPUT;
        });
        cli.setExecutionExceptionHandler((e, cmd, parseResult) -> {
            PrintWriter err = cmd.getErr();
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            // A checkpoint error lists every missing, unexpected and mis-shaped key: print it whole.
            err.println("fx: error: " + (e instanceof CheckpointException ? message : firstLine(message)));
            if ("1".equals(System.getenv("FX_DEBUG"))) {
                e.printStackTrace(err);
            }
            err.flush();
            return BAD_INPUT;
        });
        return cli;
    }

    private static String parameterMessage(CommandLine.ParameterException e) {
        String message = firstLine(e.getMessage() == null ? e.toString() : e.getMessage());
        if (e instanceof CommandLine.UnmatchedArgumentException) {
            CommandLine.UnmatchedArgumentException u = (CommandLine.UnmatchedArgumentException) e;
            CommandLine cmd = e.getCommandLine();
            if (!u.getUnmatched().isEmpty() && !cmd.getSubcommands().isEmpty() && !u.getUnmatched().get(0).startsWith("-")) {
                message = "unknown command '" + u.getUnmatched().get(0) + "'; commands: "
                        + String.join(", ", cmd.getSubcommands().keySet());
            } else if (!u.getSuggestions().isEmpty()) {
                message += "; did you mean " + String.join(" or ", u.getSuggestions()) + "?";
            }
        }
        return message;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /**
     * Runs the tool.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            System.err.println("fx: error: out of Java memory (" + e.getMessage() + "); raise the heap with"
                    + " FX_JAVA_OPTS=-Xmx8g");
            code = 1;
        }
        System.exit(code);
    }
}
