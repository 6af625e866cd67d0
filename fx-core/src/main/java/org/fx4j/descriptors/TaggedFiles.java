package org.fx4j.descriptors;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The small binary files of this package: a tag (what the file is), a format version, then the
 * body. Written to a temporary file and moved into place; read with the tag, the version, truncation
 * and trailing bytes checked, each failure naming the file.
 */
final class TaggedFiles {

    /** Writes a body. */
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /** Reads a body, given the file's size for plausibility checks. */
    interface Reader<T> {
        T read(DataInputStream in, long size) throws IOException;
    }

    private TaggedFiles() {}

    static void write(Path file, String tag, int version, Body body) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeUTF(tag);
            out.writeInt(version);
            body.write(out);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /**
     * Reads a file written by {@link #write}.
     *
     * @param what the file's kind for messages ("an fx4j descriptor index (written by ...)")
     */
    static <T> T read(Path file, String tag, int version, String what, Reader<T> reader) throws IOException {
        if (!Files.exists(file)) {
            throw new FileNotFoundException(file + " does not exist");
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + " is not a regular file; name " + what);
        }
        long size = Files.size(file);
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            String found;
            try {
                found = in.readUTF();
            } catch (IOException e) {
                found = null;
            }
            if (!tag.equals(found)) {
                throw new IOException(file + " is not " + what);
            }
            int v = in.readInt();
            if (v != version) {
                throw new IOException(file + " is of format " + v + "; this fx4j reads " + version);
            }
            T value = reader.read(in, size);
            if (in.read() != -1) {
                throw new IOException(file + " has bytes after its content");
            }
            return value;
        } catch (EOFException e) {
            throw new IOException(file + " is truncated (cut short)", e);
        }
    }
}
