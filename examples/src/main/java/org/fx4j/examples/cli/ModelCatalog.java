package org.fx4j.examples.cli;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import com.google.inject.Inject;
import java.util.Map;
import java.util.function.Supplier;
import org.fx4j.nn.Module;

/** The backbones the CLI knows, injected from the Guice registry. */
public final class ModelCatalog {

    /** The seed of the random initialisation used when no weights are given. */
    public static final int SEED = 0;

    private final Map<String, Supplier<Module>> factories;

    /**
     * Creates the catalog.
     *
     * @param factories backbone factories by name
     */
    @Inject
    public ModelCatalog(Map<String, Supplier<Module>> factories) {
        this.factories = factories;
    }

    /**
     * Creates an uninitialised model (enough for tracing).
     *
     * @param name a model name
     * @return the model
     * @throws IllegalArgumentException listing the known models if the name is unknown
     */
    public Module create(String name) {
        Supplier<Module> f = factories.get(name);
        if (f == null) {
            throw new IllegalArgumentException(
                    "unknown model '" + name + "'. Known models: " + String.join(", ", factories.keySet()));
        }
        return f.get();
    }

    /**
     * Creates a model with torchvision's random initialisation (seed {@link #SEED}).
     *
     * @param name a model name
     * @param manager the manager that owns the parameters
     * @return the model, in evaluation mode
     */
    public Module createInitialized(String name, NDManager manager) {
        Module model = create(name);
        Engine.getInstance().setRandomSeed(SEED);
        model.initialize(manager);
        model.eval();
        return model;
    }

    /**
     * Returns the known names.
     *
     * @return the names
     */
    public Iterable<String> names() {
        return factories.keySet();
    }
}
