package org.fx4j.checkpoint;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What loading a state dict into a model found: keys the model has but the checkpoint lacks, keys
 * the checkpoint has but the model lacks, and shape mismatches. Strict loading fails with its
 * {@link #message(String)}; non-strict loading returns it.
 */
public final class LoadReport {

    /** A key whose shape differs between the model and the checkpoint. */
    public static final class Mismatch {
        private final String key;
        private final Shape expected;
        private final Shape found;

        Mismatch(String key, Shape expected, Shape found) {
            this.key = key;
            this.expected = expected;
            this.found = found;
        }

        /**
         * Returns the state-dict key.
         *
         * @return the key
         */
        public String key() {
            return key;
        }

        /**
         * Returns the model's shape.
         *
         * @return the expected shape
         */
        public Shape expected() {
            return expected;
        }

        /**
         * Returns the checkpoint's shape.
         *
         * @return the found shape
         */
        public Shape found() {
            return found;
        }

        /** {@inheritDoc} */
        @Override
        public String toString() {
            return "size mismatch for " + key + ": copying a param with shape " + found
                    + " from checkpoint, the shape in current model is " + expected + ".";
        }
    }

    private final List<String> missing;
    private final List<String> unexpected;
    private final List<Mismatch> mismatches;
    private final int loaded;

    LoadReport(List<String> missing, List<String> unexpected, List<Mismatch> mismatches, int loaded) {
        this.missing = Collections.unmodifiableList(new ArrayList<>(missing));
        this.unexpected = Collections.unmodifiableList(new ArrayList<>(unexpected));
        this.mismatches = Collections.unmodifiableList(new ArrayList<>(mismatches));
        this.loaded = loaded;
    }

    /**
     * Returns the keys of the model that the checkpoint lacks.
     *
     * @return missing keys, in model order
     */
    public List<String> missingKeys() {
        return missing;
    }

    /**
     * Returns the keys of the checkpoint that the model lacks.
     *
     * @return unexpected keys, in file order
     */
    public List<String> unexpectedKeys() {
        return unexpected;
    }

    /**
     * Returns the keys whose shapes differ.
     *
     * @return the mismatches
     */
    public List<Mismatch> mismatches() {
        return mismatches;
    }

    /**
     * Returns how many tensors were loaded.
     *
     * @return the count (0 when strict loading failed)
     */
    public int loadedCount() {
        return loaded;
    }

    /**
     * Returns whether every key matched.
     *
     * @return true if nothing is missing, unexpected or mis-shaped
     */
    public boolean isClean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatches.isEmpty();
    }

    /**
     * Formats the problems as PyTorch's {@code load_state_dict} does.
     *
     * @param modelName the model's class name
     * @return the message
     */
    public String message(String modelName) {
        StringBuilder b = new StringBuilder("Error(s) in loading state_dict for " + modelName + ":");
        if (!missing.isEmpty()) {
            b.append("\n\tMissing key(s) in state_dict: ").append(quote(missing)).append('.');
        }
        if (!unexpected.isEmpty()) {
            b.append("\n\tUnexpected key(s) in state_dict: ").append(quote(unexpected)).append('.');
        }
        for (Mismatch m : mismatches.subList(0, Math.min(mismatches.size(), MAX_LISTED))) {
            b.append("\n\t").append(m);
        }
        if (mismatches.size() > MAX_LISTED) {
            b.append("\n\t... (").append(mismatches.size() - MAX_LISTED).append(" more size mismatches)");
        }
        return b.toString();
    }

    /** The most keys one line of the message lists (a hostile file may hold millions). */
    static final int MAX_LISTED = 1000;

    private static String quote(List<String> keys) {
        String listed = keys.stream().limit(MAX_LISTED).map(k -> "\"" + BoundedText.name(k) + "\"")
                .collect(Collectors.joining(", "));
        return keys.size() > MAX_LISTED ? listed + ", ... (" + (keys.size() - MAX_LISTED) + " more)" : listed;
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return isClean() ? "LoadReport(all " + loaded + " keys loaded)" : message("model");
    }
}
