package org.fx4j.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks on the files and directories a command is asked to write, before any work is done. */
final class OutputPaths {

    private OutputPaths() {}

    /**
     * Checks a directory to write into: it may exist (as a directory), or be created in a parent that
     * exists.
     *
     * @param spec the command, for the error
     * @param option the option's name, e.g. {@code --out}
     * @param dir the directory
     * @param createParents whether missing parents may be created (a default path, say)
     * @throws ParameterException one line naming the option and what is wrong
     */
    static void checkDirectory(CommandSpec spec, String option, Path dir, boolean createParents) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ParameterException(spec.commandLine(), option + " '" + dir + "' is an existing file, not a"
                    + " directory; name a directory to write into");
        }
        Path parent = dir.toAbsolutePath().normalize().getParent();
        if (!createParents && !Files.exists(dir) && parent != null && !Files.isDirectory(parent)) {
            throw new ParameterException(spec.commandLine(), option + " '" + dir + "': its parent directory '" + parent
                    + "' does not exist" + (Files.exists(parent) ? " (it is a file)" : "") + "; create it first");
        }
    }

    /**
     * Checks a file to write: its parent directory exists, it is not a directory, and it is not
     * overwritten unless asked.
     *
     * @param spec the command, for the error
     * @param what how messages name the file, e.g. {@code OUT}
     * @param file the file
     * @param overwrite whether an existing file may be replaced
     * @throws ParameterException one line naming the file and what is wrong
     */
    static void checkFile(CommandSpec spec, String what, Path file, boolean overwrite) {
        if (Files.isDirectory(file)) {
            throw new ParameterException(spec.commandLine(), what + " '" + file + "' is a directory; name a file");
        }
        if (Files.exists(file) && !overwrite) {
            throw new ParameterException(spec.commandLine(), what + " '" + file + "' exists; pass --force to replace"
                    + " it");
        }
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new ParameterException(spec.commandLine(), what + " '" + file + "' is not a regular file (a device,"
                    + " FIFO or socket)");
        }
        Path parent = file.toAbsolutePath().normalize().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new ParameterException(spec.commandLine(), what + " '" + file + "': its directory '" + parent
                    + "' does not exist" + (Files.exists(parent) ? " (it is a file)" : "") + "; create it first");
        }
    }

    /**
     * Whether two paths name the same existing file.
     *
     * @param a a path
     * @param b another path
     * @return true if both exist and are the same file
     */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
