package org.fx4j.fx;

import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.fx4j.nn.FxFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Options of tracing and feature extraction, torchvision's {@code tracer_kwargs} and {@code
 * suppress_diff_warning}: extra leaf-module classes, autowrapped functions, and where the warning
 * about train/eval graph differences goes.
 */
public final class TraceOptions {

    private static final Logger LOGGER = LoggerFactory.getLogger(TraceOptions.class);

    private static final TraceOptions DEFAULTS = builder().build();

    private final List<Class<?>> leafModules;
    private final Set<FxFunction> autowrapFunctions;
    private final boolean suppressDiffWarning;
    private final Consumer<String> warningHandler;
    private final List<String> inputNames;

    private TraceOptions(Builder b) {
        this.leafModules = List.copyOf(b.leafModules);
        Set<FxFunction> fns = Collections.newSetFromMap(new IdentityHashMap<>());
        fns.addAll(b.autowrapFunctions);
        this.autowrapFunctions = Collections.unmodifiableSet(fns);
        this.suppressDiffWarning = b.suppressDiffWarning;
        this.warningHandler = b.warningHandler;
        this.inputNames = b.inputNames == null ? null : List.copyOf(b.inputNames);
    }

    /**
     * Returns the default options.
     *
     * @return defaults: no extra leaves, no autowrapped functions, warnings logged
     */
    public static TraceOptions defaults() {
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
     * Returns whether blocks of this type are leaves by user declaration.
     *
     * @param block a block
     * @return true if it is an instance of a declared leaf class
     */
    public boolean isDeclaredLeaf(Block block) {
        for (Class<?> c : leafModules) {
            if (c.isInstance(block)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Returns whether a function is declared autowrapped.
     *
     * @param function the function
     * @return true if calls record one node
     */
    public boolean isAutowrapped(FxFunction function) {
        return autowrapFunctions.contains(function);
    }

    /**
     * Returns whether the train/eval difference warning is suppressed.
     *
     * @return true if suppressed
     */
    public boolean suppressDiffWarning() {
        return suppressDiffWarning;
    }

    /**
     * Emits a warning (unless suppressed by the caller's logic).
     *
     * @param message the warning
     */
    public void warn(String message) {
        warningHandler.accept(message);
    }

    /**
     * Returns the placeholder names to use instead of the model's own, or null.
     *
     * @return names or null
     */
    public List<String> inputNames() {
        return inputNames;
    }

    /** Builds {@link TraceOptions}. */
    public static final class Builder {
        private final List<Class<?>> leafModules = new ArrayList<>();
        private final List<FxFunction> autowrapFunctions = new ArrayList<>();
        private boolean suppressDiffWarning;
        private Consumer<String> warningHandler = LOGGER::warn;
        private List<String> inputNames;

        private Builder() {}

        /**
         * Declares module classes (and their subclasses) as leaves: recorded as one node, never
         * traced through.
         *
         * @param classes the classes
         * @return this builder
         */
        public Builder leafModules(Class<?>... classes) {
            for (Class<?> c : classes) {
                if (c == null || !Block.class.isAssignableFrom(c)) {
                    throw new IllegalArgumentException(
                            "Leaf module " + c + " is not a DJL Block class; pass module classes such as MyBlock.class");
                }
                leafModules.add(c);
            }
            return this;
        }

        /**
         * Declares functions that record as one node instead of being traced through.
         *
         * @param functions the functions
         * @return this builder
         */
        public Builder autowrapFunctions(FxFunction... functions) {
            for (FxFunction f : functions) {
                if (f == null) {
                    throw new IllegalArgumentException("Autowrap function must not be null");
                }
                autowrapFunctions.add(f);
            }
            return this;
        }

        /**
         * Suppresses the warning about train/eval graph differences.
         *
         * @param suppress true to suppress
         * @return this builder
         */
        public Builder suppressDiffWarning(boolean suppress) {
            suppressDiffWarning = suppress;
            return this;
        }

        /**
         * Sets where warnings go (default: the SLF4J logger of this class).
         *
         * @param handler the handler
         * @return this builder
         */
        public Builder warningHandler(Consumer<String> handler) {
            if (handler == null) {
                throw new IllegalArgumentException("Warning handler must not be null");
            }
            warningHandler = handler;
            return this;
        }

        /**
         * Overrides the placeholder names (default: the model's {@code inputNames()}).
         *
         * @param names the input names
         * @return this builder
         */
        public Builder inputNames(String... names) {
            inputNames = List.of(names);
            return this;
        }

        /**
         * Builds the options.
         *
         * @return the options
         */
        public TraceOptions build() {
            return new TraceOptions(this);
        }
    }
}
