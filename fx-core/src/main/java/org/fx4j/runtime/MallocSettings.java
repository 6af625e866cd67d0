package org.fx4j.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * glibc's allocator settings of this process, as its environment set them at launch (glibc reads them
 * once, before any Java code runs).
 *
 * <p>libtorch allocates every tensor with {@code malloc}. With glibc's defaults, the memory of freed
 * tensors goes back to the system (whole per-thread heaps are unmapped, the main heap's top is trimmed)
 * and the next pass page-faults it in again: on this project's machine a ResNet-50 pass took 1.6-4.3x as
 * long, in fx4j and in Python's torch alike, depending on how a process's heaps happened to be laid out.
 * {@link #RECOMMENDED} keeps freed memory for reuse (one arena; every block from the heap, none mapped
 * on its own; no trimming below 4 GiB): the process's resident memory then stays at its peak. fx4j's {@code fx} launcher
 * sets them; a Java program using fx4j as a library sets them in its own launcher or service unit:
 * <pre>
 * MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 java ...
 * </pre>
 */
public final class MallocSettings {

    /** The environment fx4j recommends for inference and training processes (see the class comment). */
    public static final Map<String, String> RECOMMENDED = recommendedVariables();

    /**
     * The variables through which glibc's allocator can be configured; any of them set means configured
     * ({@code GLIBC_TUNABLES} only when it sets a {@code glibc.malloc.} tunable).
     */
    private static final String[] VARIABLES = {"MALLOC_ARENA_MAX", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_",
        "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_ARENA_TEST", "GLIBC_TUNABLES"};

    private final Map<String, String> set;

    private MallocSettings(Map<String, String> set) {
        this.set = set;
    }

    private static Map<String, String> recommendedVariables() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MALLOC_ARENA_MAX", "1");
        m.put("MALLOC_MMAP_MAX_", "0");
        m.put("MALLOC_TRIM_THRESHOLD_", "4294967296");
        return java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Returns this process's settings.
     *
     * @return the allocator variables of this process's environment
     */
    public static MallocSettings current() {
        return of(System::getenv);
    }

    /**
     * Returns the settings an environment gives (for tests and for describing a child process).
     *
     * @param environment the value of a variable, or null where it is not set
     * @return the allocator variables it sets
     */
    public static MallocSettings of(UnaryOperator<String> environment) {
        Map<String, String> set = new LinkedHashMap<>();
        for (String v : VARIABLES) {
            String value = environment.apply(v);
            boolean mallocTunables = !"GLIBC_TUNABLES".equals(v) || value != null && value.contains("glibc.malloc.");
            if (value != null && !value.isEmpty() && mallocTunables) {
                set.put(v, value);
            }
        }
        return new MallocSettings(set);
    }

    /**
     * Whether every recommended variable is set to its recommended value.
     *
     * @return true when the process runs with {@link #RECOMMENDED}
     */
    public boolean isRecommended() {
        for (Map.Entry<String, String> e : RECOMMENDED.entrySet()) {
            if (!e.getValue().equals(set.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * The allocator variables that are set.
     *
     * @return name to value, in a fixed order; empty for glibc's defaults
     */
    public Map<String, String> variables() {
        return java.util.Collections.unmodifiableMap(set);
    }

    /**
     * A one-line description for benchmark reports.
     *
     * @return {@code "glibc defaults"}, or the variables as {@code NAME=value} pairs
     */
    public String describe() {
        if (set.isEmpty()) {
            return "glibc defaults";
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : set.entrySet()) {
            b.append(b.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue());
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
