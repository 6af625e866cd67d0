/** Optional Guice wiring: the backbone registry as a {@code MapBinder} and picocli's factory. */
package org.fx4j.examples.inject;
