package org.fx4j.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Checks on files a user names before anything opens them. */
public final class InputFiles {

    private InputFiles() {}

    /**
     * Checks that a path names a regular file, with a message that says what it is otherwise: no
     * such file, a directory, or a device, FIFO or socket (which are refused rather than read, so
     * that a FIFO cannot hang the reader and a device cannot feed it forever).
     *
     * @param file the path
     * @throws IOException naming the path and what it is
     */
    public static void requireRegularFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new IOException("Cannot read '" + file + "': no such file");
        }
        if (Files.isDirectory(file)) {
            throw new IOException("Cannot read '" + file + "': it is a directory, not a file");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException("Cannot read '" + file + "': it is not a regular file (a device, FIFO or socket)");
        }
        if (!Files.isReadable(file)) {
            throw new IOException("Cannot read '" + file + "': permission denied");
        }
    }
}
