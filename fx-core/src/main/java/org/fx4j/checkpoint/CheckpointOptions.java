package org.fx4j.checkpoint;

import ai.djl.ndarray.types.DataType;

/**
 * How to read and load a checkpoint: which entry holds the state dict, which key prefix to strip,
 * whether loading is strict, and the floating type of parameters that loading initialises.
 */
public final class CheckpointOptions {

    private static final CheckpointOptions DEFAULTS = builder().build();

    private final String key;
    private final String prefix;
    private final boolean strict;
    private final DataType floatingType;
    private final boolean onlyPrefixed;

    private CheckpointOptions(Builder b) {
        this.key = b.key;
        this.prefix = b.prefix;
        this.onlyPrefixed = b.onlyPrefixed;
        this.strict = b.strict;
        this.floatingType = b.floatingType;
    }

    /**
     * Returns the defaults: the state dict found automatically, no prefix, strict loading.
     *
     * @return the defaults
     */
    public static CheckpointOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the top-level key that holds the state dict, or null to find it.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * Returns the prefix stripped from keys that start with it, or null.
     *
     * @return the prefix
     */
    public String prefix() {
        return prefix;
    }

    /**
     * Returns whether keys without the prefix are dropped (a detection checkpoint's {@code rpn.*}
     * when loading its {@code backbone.*}).
     *
     * @return true if only prefixed keys are kept
     */
    public boolean onlyPrefixed() {
        return onlyPrefixed;
    }

    /**
     * Returns whether loading fails on any missing, unexpected or mis-shaped key.
     *
     * @return true if strict
     */
    public boolean strict() {
        return strict;
    }

    /**
     * Returns the type that floating-point tensors get in parameters that loading initialises (those
     * of an uninitialised model); initialised parameters keep their type.
     *
     * @return the type, float32 by default
     */
    public DataType floatingType() {
        return floatingType;
    }

    /** Builds {@link CheckpointOptions}. */
    public static final class Builder {
        private String key;
        private String prefix;
        private boolean onlyPrefixed;
        private boolean strict = true;
        private DataType floatingType = DataType.FLOAT32;

        private Builder() {}

        /**
         * Reads the state dict nested under this top-level key ({@code "model"}, {@code "state_dict"}).
         * Without it, a file whose top level is not a state dict is searched for {@code state_dict},
         * {@code model}, {@code model_state_dict}, {@code module} and {@code net}.
         *
         * @param k the key
         * @return this builder
         */
        public Builder optKey(String k) {
            key = k;
            return this;
        }

        /**
         * Strips a prefix ({@code "module."}, {@code "backbone."}) from the keys that start with it,
         * as PyTorch's {@code consume_prefix_in_state_dict_if_present}.
         *
         * @param p the prefix
         * @return this builder
         */
        public Builder optPrefix(String p) {
            prefix = p;
            return this;
        }

        /**
         * Keeps only the keys that start with {@code p}, stripped of it: the backbone of a detection
         * checkpoint ({@code optOnlyPrefixed("backbone.")} drops {@code rpn.*} and {@code roi_heads.*}),
         * as {@code {k[len(p):]: v for k, v in sd.items() if k.startswith(p)}}.
         *
         * @param p the prefix
         * @return this builder
         */
        public Builder optOnlyPrefixed(String p) {
            prefix = p;
            onlyPrefixed = true;
            return this;
        }

        /**
         * Sets strict loading (default true). Non-strict loading loads the matching keys and returns
         * a report of the rest.
         *
         * @param s strictness
         * @return this builder
         */
        public Builder optStrict(boolean s) {
            strict = s;
            return this;
        }

        /**
         * Sets the type that floating-point tensors get in parameters that loading initialises
         * (default float32): {@code DataType.FLOAT64} loads an uninitialised model in float64 from a
         * float64 checkpoint without rounding, and without initialising it first. Parameters already
         * initialised keep their type.
         *
         * @param type a floating-point type
         * @return this builder
         */
        public Builder optFloatingType(DataType type) {
            if (type == null || !type.isFloating()) {
                throw new IllegalArgumentException("The floating type must be a floating-point type, got " + type);
            }
            floatingType = type;
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public CheckpointOptions build() {
            if (key != null && key.isEmpty()) {
                throw new IllegalArgumentException("The state-dict key must not be empty");
            }
            return new CheckpointOptions(this);
        }
    }
}
