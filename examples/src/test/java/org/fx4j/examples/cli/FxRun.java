package org.fx4j.examples.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** One in-process run of the {@code fx} tool: its exit code, stdout and stderr. */
final class FxRun {
    final int code;
    final String out;
    final String err;

    private FxRun(int code, String out, String err) {
        this.code = code;
        this.out = out;
        this.err = err;
    }

    /** Runs {@code fx args...} with the tool's own command line, capturing both streams. */
    static FxRun fx(String... args) {
        CommandLine cli = FxCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new FxRun(code, out.toString(), err.toString());
    }
}
