package org.fx4j.checkpoint;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Reads every file of a directory with {@link Checkpoints#read} and prints one line per file:
 * {@code REFUSED name}, {@code READ name} or {@code CRASH name Throwable}; then {@code MAXHEAP
 * bytes}. Run in a forked JVM with a small {@code -Xmx} by {@link HostileCheckpointTest}.
 */
public final class HostileCorpusMain {

    private HostileCorpusMain() {}

    /**
     * Runs the corpus.
     *
     * @param args the directory
     * @throws IOException if the directory cannot be listed
     */
    public static void main(String[] args) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            files = s.sorted().collect(Collectors.toList());
        }
        long maxUsed = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try (StateDict sd = Checkpoints.read(f, manager)) {
                    System.out.println("READ " + name + " " + sd.size());
                } catch (CheckpointException e) {
                    System.out.println("REFUSED " + name);
                } catch (Throwable t) {
                    System.out.println("CRASH " + name + " " + t);
                }
                Runtime rt = Runtime.getRuntime();
                maxUsed = Math.max(maxUsed, rt.totalMemory() - rt.freeMemory());
            }
        }
        System.out.println("MAXHEAP " + maxUsed);
    }
}
