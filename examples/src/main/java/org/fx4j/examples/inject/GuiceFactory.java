package org.fx4j.examples.inject;

import com.google.inject.Injector;
import picocli.CommandLine;

/** Lets picocli create commands (and their options' types) through Guice. */
public final class GuiceFactory implements CommandLine.IFactory {

    private final Injector injector;

    /**
     * Creates the factory.
     *
     * @param injector the injector that builds commands
     */
    public GuiceFactory(Injector injector) {
        this.injector = injector;
    }

    /** {@inheritDoc} */
    @Override
    public <K> K create(Class<K> type) throws Exception {
        try {
            return injector.getInstance(type);
        } catch (com.google.inject.ConfigurationException e) {
            return CommandLine.defaultFactory().create(type);
        }
    }
}
