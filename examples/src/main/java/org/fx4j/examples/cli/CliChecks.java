package org.fx4j.examples.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Range checks of option values, failing with one line that names the option. */
final class CliChecks {

    /** The smallest and largest image side the commands take. */
    static final int MIN_SIZE = 32;
    static final int MAX_SIZE = 4096;

    private CliChecks() {}

    /**
     * Checks that an option's value is at least {@code least}.
     *
     * @throws ParameterException naming the option and the value
     */
    static void atLeast(CommandSpec spec, String option, long value, long least) {
        if (value < least) {
            throw new ParameterException(spec.commandLine(), option + " must be at least " + least + ", got " + value);
        }
    }

    /**
     * Checks that an option's value is a number of at least {@code least} (NaN is refused).
     *
     * @throws ParameterException naming the option and the value
     */
    static void atLeast(CommandSpec spec, String option, double value, double least) {
        if (!(value >= least) || Double.isInfinite(value)) {
            throw new ParameterException(spec.commandLine(), option + " must be a finite number of at least " + least
                    + ", got " + value);
        }
    }

    /**
     * Checks {@code --size}.
     *
     * @throws ParameterException naming the option and the value
     */
    static void size(CommandSpec spec, int size) {
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new ParameterException(spec.commandLine(), "--size must be between " + MIN_SIZE + " and " + MAX_SIZE
                    + ", got " + size);
        }
    }
}
