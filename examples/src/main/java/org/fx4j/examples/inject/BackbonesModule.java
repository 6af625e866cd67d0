package org.fx4j.examples.inject;

import com.google.inject.AbstractModule;
import com.google.inject.TypeLiteral;
import com.google.inject.multibindings.MapBinder;
import java.util.Map;
import java.util.function.Supplier;
import org.fx4j.models.ModelRegistry;
import org.fx4j.nn.Module;

/**
 * Optional Guice module: a {@link MapBinder} registry of backbone factories by torchvision name,
 * filled from {@link ModelRegistry}. Other modules can add entries with {@link #backbones}. It binds
 * factories only, never native resources (no NDManager, Model or Predictor singletons).
 */
public final class BackbonesModule extends AbstractModule {

    /**
     * Returns the map binder, so that other Guice modules can contribute backbones.
     *
     * @param binder the binder of the contributing module
     * @return the map binder of {@code Map<String, Supplier<Module>>}
     */
    public static MapBinder<String, Supplier<Module>> backbones(com.google.inject.Binder binder) {
        return MapBinder.newMapBinder(binder, new TypeLiteral<String>() {}, new TypeLiteral<Supplier<Module>>() {});
    }

    /** {@inheritDoc} */
    @Override
    protected void configure() {
        MapBinder<String, Supplier<Module>> map = backbones(binder());
        for (Map.Entry<String, Supplier<Module>> e : ModelRegistry.factories().entrySet()) {
            map.addBinding(e.getKey()).toInstance(e.getValue());
        }
    }
}
