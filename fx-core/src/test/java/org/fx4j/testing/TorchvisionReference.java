package org.fx4j.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs torchvision 0.14.1 (Debian's {@code python3-torchvision} under {@code /usr/bin/python3}) to
 * produce reference data at test time. Tests that need it are skipped, with a message, where it is
 * absent; CI installs it.
 */
public final class TorchvisionReference {

    /** The interpreter that has Debian's torch and torchvision. */
    public static final String PYTHON = System.getProperty("fx4j.python", "/usr/bin/python3");

    private static Boolean available;

    private TorchvisionReference() {}

    /**
     * Returns whether torchvision can be imported.
     *
     * @return true if the reference is available
     */
    public static synchronized boolean isAvailable() {
        if (available == null) {
            try {
                Process p = new ProcessBuilder(PYTHON, "-c", "import torch, torchvision")
                        .redirectErrorStream(true)
                        .start();
                p.getInputStream().readAllBytes();
                available = p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0;
            } catch (IOException e) {
                available = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                available = false;
            }
        }
        return available;
    }

    /** Skips the calling test, with the reason, if torchvision is not installed. */
    public static void assumeAvailable() {
        assumeTrue(
                isAvailable(),
                "torchvision reference not available: install it with `apt-get install -y python3-torchvision`"
                        + " (runs under " + PYTHON + ")");
    }

    /**
     * Runs a Python script from the test class path with arguments and returns its stdout.
     *
     * @param owner a class whose loader can see the script
     * @param resource the script's resource path
     * @param args script arguments
     * @return stdout
     * @throws IOException if the script fails (its stderr is in the message)
     */
    public static String run(Class<?> owner, String resource, String... args) throws IOException {
        assumeAvailable();
        Path script = Files.createTempFile("fx4j-ref", ".py");
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("Missing test resource " + resource);
            }
            Files.write(script, in.readAllBytes());
        }
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(PYTHON);
            cmd.add(script.toString());
            cmd.addAll(List.of(args));
            Path err = Files.createTempFile("fx4j-ref", ".err");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = p.waitFor(600, TimeUnit.SECONDS);
            String stderr = Files.readString(err);
            Files.deleteIfExists(err);
            if (!done || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("torchvision reference script " + resource + " failed: " + stderr);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running " + resource, e);
        } finally {
            Files.deleteIfExists(script);
        }
    }
}
