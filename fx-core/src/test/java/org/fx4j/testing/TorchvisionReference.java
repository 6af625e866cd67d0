package org.fx4j.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Runs torchvision 0.14.1 (Debian's {@code python3-torchvision} under {@code /usr/bin/python3}) to
 * produce reference data at test time. Tests that need it are skipped, with a message, where it is
 * absent, except under CI ({@code CI=true} in the environment), where they fail: CI installs it, so
 * its absence there is a broken build, not a reason to pass.
 */
public final class TorchvisionReference {

    /** The interpreter that has Debian's torch and torchvision. */
    public static final String PYTHON = System.getProperty("fx4j.python", "/usr/bin/python3");

    /** A script line that imports a top-level module: {@code import m} or {@code from m import ...}. */
    private static final Pattern IMPORT = Pattern.compile("(?m)^(?:import|from)\\s+(\\w+)");

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

    /**
     * Returns whether this run is under CI: the environment variable {@code CI} is {@code true}.
     *
     * @return true under CI
     */
    public static boolean isCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Skips the calling test, with the reason, if torchvision is not installed; under CI ({@link
     * #isCi()}) fails it instead.
     */
    public static void assumeAvailable() {
        if (isAvailable()) {
            return;
        }
        String why = "torchvision reference not available: install it with `apt-get install -y python3-torchvision`"
                + " (runs under " + PYTHON + ")";
        if (isCi()) {
            fail(why + "; CI=true, so the tests that need it fail instead of being skipped");
        }
        assumeTrue(false, why);
    }

    /**
     * Runs a Python script from the test class path with arguments and returns its stdout. The script
     * runs from a temporary folder that also holds the modules it imports from its own resource
     * folder ({@code import torch_fx_py311} next to it), so scripts can share helpers.
     *
     * @param owner a class whose loader can see the script
     * @param resource the script's resource path
     * @param args script arguments
     * @return stdout
     * @throws IOException if the script fails (its stderr is in the message)
     */
    public static String run(Class<?> owner, String resource, String... args) throws IOException {
        assumeAvailable();
        Path dir = Files.createTempDirectory("fx4j-ref");
        try {
            String folder = resource.substring(0, resource.lastIndexOf('/') + 1);
            byte[] source = readResource(owner, resource);
            Path script = dir.resolve(resource.substring(folder.length()));
            Files.write(script, source);
            Matcher m = IMPORT.matcher(new String(source, StandardCharsets.UTF_8));
            while (m.find()) {
                String sibling = folder + m.group(1) + ".py";
                if (owner.getResource(sibling) != null) {
                    Files.write(dir.resolve(m.group(1) + ".py"), readResource(owner, sibling));
                }
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(PYTHON);
            cmd.add(script.toString());
            cmd.addAll(List.of(args));
            Path err = dir.resolve("stderr.txt");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = p.waitFor(600, TimeUnit.SECONDS);
            String stderr = Files.readString(err);
            if (!done || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("torchvision reference script " + resource + " failed: " + stderr);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("Interrupted while running " + resource, e);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    private static byte[] readResource(Class<?> owner, String resource) throws IOException {
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("Missing test resource " + resource);
            }
            return in.readAllBytes();
        }
    }
}
